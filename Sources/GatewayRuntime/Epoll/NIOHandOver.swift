import NIOCore
import NIOPosix

/// Moves a plain client connection from an epoll loop to SwiftNIO (for a request whose version has
/// https targets). Kept apart from the epoll files on purpose: importing NIOPosix there makes the
/// compiler look up C socket structs' members in NIOPosix's own copy of the system headers.
enum NIOHandOver {
    /// Moves a connected client socket to a SwiftNIO event loop and replays what was read from it.
    static func start(
        _ fd: Int32, unread: ByteBuffer, shared: GatewayShared, group: any EventLoopGroup, registry: ConnectionRegistry,
        done: @escaping @Sendable () -> Void
    ) {
        ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let loop = shared.pools.resources(for: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHandler(NIOClientChannelHandler(session: ClientSession(shared: shared, loop: loop, tls: false)))
                    registry.add(channel)
                    channel.closeFuture.whenComplete { _ in registry.remove(channel) }
                }
            }
            .withConnectedSocket(fd)
            .whenComplete { result in
                // On failure SwiftNIO has closed the descriptor itself (closing it here again could
                // close a connection that was given the same number meanwhile).
                if case .success(let channel) = result {
                    channel.pipeline.fireChannelRead(unread)
                    channel.pipeline.fireChannelReadComplete()
                }
                done()
            }
    }
}
