import NIOCore

/// An upstream connection on a SwiftNIO channel (the stream of an `UpstreamConnection` made by
/// `NIOUpstreamConnector`). Lets go of the connection when the channel closes.
final class NIOUpstreamChannelHandler: ChannelInboundHandler, NIOChannelStream {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var connection: UpstreamConnection?
    private(set) var context: ChannelHandlerContext!
    private(set) var isOpen = true

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection?.streamRead(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection?.streamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        connection?.streamClosed()
        connection = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.streamWritabilityChanged(context.channel.isWritable)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The `ByteStream` of a SwiftNIO channel handler: everything goes through its context, except
/// `isOpen`, a flag each handler clears in channelInactive (`channel.isActive` goes through the
/// channel's lifecycle state, with retains and releases, and the pool asks once per request).
protocol NIOChannelStream: ByteStream {
    var context: ChannelHandlerContext! { get }
}

extension NIOChannelStream {
    var isWritable: Bool { context.channel.isWritable }

    func write(_ buffer: ByteBuffer) {
        context.write(NIOAny(buffer), promise: nil)
    }

    func flush() {
        context.flush()
    }

    func writeAndFlush(_ buffer: ByteBuffer) {
        context.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    func closeAfterFlush() {
        context.writeAndFlush(NIOAny(ByteBuffer())).whenComplete { [context] _ in context?.close(promise: nil) }
    }

    func close() {
        context.close(promise: nil)
    }

    func setReading(_ on: Bool) {
        context.channel.setAutoReadNow(on)
    }
}

extension Channel {
    /// Turns reading on or off now, on the channel's event loop, without the future an
    /// asynchronous `setOption` allocates (falls back to it for channels without sync options).
    func setAutoReadNow(_ on: Bool) {
        if let options = syncOptions {
            try? options.setOption(.autoRead, value: on)
        } else {
            _ = setOption(.autoRead, value: on)
        }
    }
}
