import NIOConcurrencyHelpers
import Domain
import Atomics
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// A client listener (plain or TLS). At graceful shutdown it stops accepting, tells every
/// connection to close after its current response, and waits (bounded) for them to finish.
struct GatewayListener: Service {
    let shared: GatewayShared
    let group: any EventLoopGroup
    let host: String
    let port: Int
    let tlsContext: NIOSSLContext?
    let logger: Logger
    /// Receives the bound port (tests bind port 0).
    let onBound: @Sendable (Int) -> Void

    func run() async throws {
        let shared = shared
        let tlsContext = tlsContext
        let connections = ConnectionRegistry()
        let serverChannel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let loop = shared.pools.resources(for: channel.eventLoop)
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        NIOClientChannelHandler(session: ClientSession(shared: shared, loop: loop, tls: tlsContext != nil)))
                    connections.add(channel)
                    channel.closeFuture.whenComplete { _ in connections.remove(channel) }
                }
            }
            .bind(host: host, port: port).get()
        let boundPort = serverChannel.localAddress?.port ?? port
        onBound(boundPort)
        logger.info("Gateway listening", metadata: ["address": "\(host):\(boundPort)", "tls": "\(tlsContext != nil)"])
        try? await gracefulShutdown()

        shared.draining.store(true, ordering: .relaxed)
        try? await serverChannel.close()
        for channel in connections.all {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let deadline = ContinuousClock.now + .seconds(shared.settings.shutdownGraceSeconds)
        while connections.count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for channel in connections.all { channel.close(promise: nil) }
        logger.info("Gateway listener drained", metadata: ["address": "\(host):\(boundPort)"])
    }
}

/// Open client connections, for draining at shutdown.
final class ConnectionRegistry: Sendable {
    private let channels = NIOLockedValueBoxCompat<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) { channels.withLockedValue { $0[ObjectIdentifier(channel)] = channel } }
    func remove(_ channel: any Channel) { channels.withLockedValue { $0[ObjectIdentifier(channel)] = nil } }
    var all: [any Channel] { channels.withLockedValue { Array($0.values) } }
    var count: Int { channels.withLockedValue { $0.count } }
}
