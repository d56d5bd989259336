import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy that can cut the line: tests put it between the gateway and PostgreSQL to take
/// the database away (and bring it back) without stopping the cluster other tests use.
final class TCPCutter: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let targetPort: Int
    private let server = NIOLockedValueBox<(any Channel)?>(nil)
    private let open = NIOLockedValueBox<[any Channel]>([])
    private let isCut = NIOLockedValueBox(false)

    init(targetPort: Int) {
        self.targetPort = targetPort
    }

    var port: Int { server.withLockedValue { $0?.localAddress?.port ?? 0 } }

    func start() async throws {
        let targetPort = targetPort
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                if self.isCut.withLockedValue({ $0 }) { return inbound.close() }
                self.open.withLockedValue { $0.append(inbound) }
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMapThrowing { outbound in
                        self.open.withLockedValue { $0.append(outbound) }
                        let (a, b) = Glue.pair()
                        try inbound.pipeline.syncOperations.addHandler(a)
                        try outbound.pipeline.syncOperations.addHandler(b)
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        server.withLockedValue { $0 = channel }
    }

    /// Closes every connection and refuses new ones.
    func cut() {
        isCut.withLockedValue { $0 = true }
        for channel in open.withLockedValue({ channels in defer { channels.removeAll() }; return channels }) { channel.close(promise: nil) }
    }

    func restore() { isCut.withLockedValue { $0 = false } }

    func shutdown() async {
        cut()
        try? await server.withLockedValue { $0 }?.close()
        try? await group.shutdownGracefully()
    }
}

/// Two handlers that pass bytes between two channels.
final class Glue: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var partner: Glue?
    var context: ChannelHandlerContext?

    static func pair() -> (Glue, Glue) {
        let a = Glue()
        let b = Glue()
        a.partner = b
        b.partner = a
        return (a, b)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard let partner, let other = partner.context else { return }
        other.eventLoop.execute { other.writeAndFlush(NIOAny(bytes), promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let other = partner?.context { other.eventLoop.execute { other.close(promise: nil) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
