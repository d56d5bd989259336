import UnixSignals
import Atomics
import Domain
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle

/// Builds the data plane: event loops with their upstream pools, the PostgreSQL client, config
/// sync, quota store, call-log writer, health checker, admin listener and client listeners, in
/// dependency order (a `ServiceGroup` shuts them down in reverse: listeners drain first, the log
/// writer flushes, the database client closes last).
struct Gateway: Sendable {
    let shared: GatewayShared
    let services: [any Service]
    let group: MultiThreadedEventLoopGroup
    let ports: BoundPorts
    let logger: Logger

    /// Ports actually bound (0 in settings means "pick one", as tests do).
    final class BoundPorts: Sendable {
        private let ports = NIOLockedValueBox<[String: Int]>([:])
        func set(_ name: String, _ port: Int) { ports.withLockedValue { $0[name] = port } }
        func get(_ name: String) -> Int? { ports.withLockedValue { $0[name] } }

        func wait(_ name: String) async throws -> Int {
            for _ in 0..<500 {
                if let port = get(name) { return port }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw ChannelError.connectTimeout(.seconds(5))
        }
    }

    static func build(settings: GatewaySettings, logger: Logger) throws -> Gateway {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, settings.threads))
        // A configured CA file that cannot be read stops the start; without one, the system store is used if it loads.
        let clientTLS = try settings.upstreamTrustRoots.map { try TLSContexts.clientContext(trustRootsFile: $0) } ?? (try? TLSContexts.clientContext())
        let pools = PoolDirectory()
        let shared = GatewayShared(settings: settings, pools: pools)
        for eventLoop in group.makeIterator() {
            pools.register(
                eventLoop, pool: UpstreamPool(connector: NIOUpstreamConnector(eventLoop: eventLoop, tlsContext: clientTLS)),
                metrics: shared.metrics.makeShard(), logs: shared.logs.makeShard())
        }
        var epollLoops: [(loop: EpollLoop, resources: PoolDirectory.LoopResources)] = []
        if settings.dataPlane == .epoll {
            for index in 0..<max(1, settings.threads) {
                let loop = try EpollLoop(name: "portico-epoll-\(index)")
                let resources = pools.add(
                    pool: UpstreamPool(connector: EpollUpstreamConnector(loop: loop)), metrics: shared.metrics.makeShard(), logs: shared.logs.makeShard())
                epollLoops.append((loop, resources))
            }
        }
        let client = PostgresClient(configuration: try DatabaseURL.configuration(settings.databaseURL, maximumConnections: 4), backgroundLogger: logger)
        let ports = BoundPorts()
        let quota = QuotaStore(shared: shared, client: client, interval: .milliseconds(Int64(settings.quotaFlushMs)), logger: logger)
        let sync = ConfigSync(
            shared: shared, loader: GatewayConfigLoader(client: client, logger: logger), snapshots: SnapshotStore(path: settings.snapshotPath),
            listenConfiguration: try DatabaseURL.connectionConfiguration(settings.databaseURL), pollInterval: .milliseconds(Int64(settings.pollIntervalMs)),
            logger: logger, hydrate: { config in await quota.loadTotals(config) })
        var services: [any Service] = [
            client, sync, quota,
            CallLogWriter(shared: shared, client: client, spool: SpoolDirectory(path: settings.spoolDirectory, gatewayID: settings.gatewayID), logger: logger),
            ActiveHealthChecker(shared: shared, group: group, logger: logger),
            AdminServer(shared: shared, group: group, host: settings.host, port: settings.adminPort, logger: logger, onBound: { ports.set("admin", $0) }),
        ]
        if settings.dataPlane == .epoll {
            services.append(
                EpollListener(shared: shared, loops: epollLoops, group: group, host: settings.host, port: settings.port, logger: logger,
                    onBound: { ports.set("http", $0) }))
        } else {
            services.append(
                GatewayListener(shared: shared, group: group, host: settings.host, port: settings.port, tlsContext: nil, logger: logger,
                    onBound: { ports.set("http", $0) }))
        }
        if settings.tlsPort >= 0, let tls = try TLSContexts.serverContext(settings.tlsCertificates) {
            services.append(
                GatewayListener(shared: shared, group: group, host: settings.host, port: settings.tlsPort, tlsContext: tls, logger: logger,
                    onBound: { ports.set("https", $0) }))
        }
        return Gateway(shared: shared, services: services, group: group, ports: ports, logger: logger)
    }

    /// Runs until SIGTERM/SIGINT (or `serviceGroup.triggerGracefulShutdown()`).
    func makeServiceGroup(signals: Bool) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [], logger: logger))
    }
}
