import NIOConcurrencyHelpers
import Domain
import Atomics
import NIOCore

/// A keep-alive connection to one upstream target, owned by at most one exchange at a time.
/// Confined to its event loop, like the handlers that use it.
final class UpstreamConnection {
    let channel: any Channel
    let target: UpstreamTarget
    /// The client connection whose request currently uses this connection.
    var owner: ClientConnectionHandler?
    var idleSince: NIODeadline = .now()
    /// Requests served on this connection (a reused connection may have been closed by the peer).
    var uses = 0
    /// Set when the channel became inactive. Read instead of `channel.isActive`, which goes
    /// through the channel's lifecycle state (retains and releases) twice per request.
    var closed = false
    /// Whether the channel reads on its own (off while the client cannot take more bytes).
    private(set) var autoRead = true

    init(channel: any Channel, target: UpstreamTarget) {
        self.channel = channel
        self.target = target
    }

    /// Changes `autoRead` only when it differs (set once per request otherwise), without the
    /// future an asynchronous `setOption` allocates.
    func setAutoRead(_ on: Bool) {
        guard on != autoRead else { return }
        autoRead = on
        channel.setAutoReadNow(on)
    }
}

/// Receives the upstream's bytes and hands them to the owning client handler.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    var connection: UpstreamConnection?
    weak var pool: UpstreamPool?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let connection else { return }
        let bytes = unwrapInboundIn(data)
        if let owner = connection.owner {
            owner.upstreamRead(bytes, from: connection)
        } else {
            // Bytes on an idle connection mean the peer is out of sync: never reuse it.
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection?.owner?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard let connection else { return }
        connection.closed = true
        if let owner = connection.owner {
            owner.upstreamClosed(connection)
        } else {
            pool?.forget(connection)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.owner?.upstreamWritabilityChanged(context.channel.isWritable)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
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
