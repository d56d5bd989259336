import NIOCore
import struct Foundation.Date

/// Runs a `ClientSession` on a SwiftNIO channel: the TLS listener's connections, and plain ones
/// the epoll data plane handed over for a route with https targets. The handler is the session's
/// `ClientStream`; it lets go of the session when the channel closes.
final class NIOClientChannelHandler: ChannelInboundHandler, ClientStream, NIOChannelStream {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: ClientSession?
    private(set) var context: ChannelHandlerContext!
    private(set) var isOpen = true

    init(session: ClientSession) {
        self.session = session
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        session?.open(self, clientIP: context.channel.remoteAddress?.ipAddress ?? "")
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        session?.streamClosed()
        session = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        session?.streamRead(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        session?.streamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        session?.streamClosed()
        session = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        session?.streamWritabilityChanged(context.channel.isWritable)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { session?.quiesce() }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: ClientStream (the byte-stream part comes from NIOChannelStream)

    func schedule(at deadline: UInt64, _ task: @escaping () -> Void) -> any ScheduledTask {
        NIOScheduledTask(context.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(deadline), task))
    }

    var now: UInt64 { NIODeadline.now().uptimeNanoseconds }
    var wallClock: Double { Date().timeIntervalSince1970 }

    var reachesTLSUpstreams: Bool { true }

    func handOver(unread: ByteBuffer) {
        preconditionFailure("a SwiftNIO loop reaches TLS upstreams itself")
    }
}
