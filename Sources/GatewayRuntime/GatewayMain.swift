import ServiceLifecycle
import NIOCore
import NIOConcurrencyHelpers
import Domain
import Atomics
import Configuration
import Foundation
import Logging

/// The gateway process. Configuration from environment variables (see `GatewaySettings`).
@main
struct GatewayMain {
    static func main() async throws {
        let settings = GatewaySettings(reader: ConfigReader(provider: EnvironmentVariablesProvider()))
        var logger = Logger(label: "portico.gateway")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        let limit = raiseDescriptorLimit()
        logger.info("Open file limit", metadata: ["limit": "\(limit)"])
        let gateway = try Gateway.build(settings: settings, logger: logger)
        try await gateway.makeServiceGroup(signals: true).run()
        try await gateway.group.shutdownGracefully()
    }
}

/// Every client and upstream connection is a descriptor, and a stock Debian session allows 1,024:
/// the soft limit is raised to the hard one (as nginx's `worker_rlimit_nofile` or Go's runtime do).
/// Returns the limit in force.
func raiseDescriptorLimit() -> UInt64 {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = min(limit.rlim_max, 1 << 20)
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
    }
    return UInt64(limit.rlim_cur)
}

