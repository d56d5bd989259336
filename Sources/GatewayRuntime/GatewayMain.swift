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
        let gateway = try Gateway.build(settings: settings, logger: logger)
        try await gateway.makeServiceGroup(signals: true).run()
        try await gateway.group.shutdownGracefully()
    }
}
