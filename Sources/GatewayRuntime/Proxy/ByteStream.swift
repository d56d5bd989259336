import NIOCore

/// A connected socket as the proxy logic sees it — a client or an upstream connection — whether
/// SwiftNIO drives it (the TLS listener, TLS upstreams) or the gateway's own epoll loop (the plain
/// HTTP listener). Confined to the thread of the loop that owns it.
protocol ByteStream: AnyObject {
    /// False while more than the high watermark of written bytes waits for the socket.
    var isWritable: Bool { get }
    /// False once closed (the owner hears of it a moment later, through `streamClosed`).
    var isOpen: Bool { get }
    /// Queues bytes; nothing is sent before `flush`.
    func write(_ buffer: ByteBuffer)
    func flush()
    func writeAndFlush(_ buffer: ByteBuffer)
    /// Sends what was written, then closes.
    func closeAfterFlush()
    func close()
    /// Turns reading on or off (backpressure).
    func setReading(_ on: Bool)
}

/// What a stream reports to its owner (a client session or an upstream connection).
protocol ByteStreamDelegate: AnyObject {
    func streamRead(_ bytes: ByteBuffer)
    /// The end of a burst of reads: the moment to flush what they produced.
    func streamReadComplete()
    func streamWritabilityChanged(_ writable: Bool)
    func streamClosed()
}

/// A client connection's stream, with what its session needs from the loop that runs it.
protocol ClientStream: ByteStream {
    /// The loop's clock (`NIODeadline` uptime nanoseconds): on an epoll loop, as read when it last
    /// woke (`EpollLoop.now`); on a SwiftNIO loop, read now.
    var now: UInt64 { get }
    /// Unix time, in the same way (`EpollLoop.wallClock`).
    var wallClock: Double { get }
    /// Runs `task` on this stream's loop at `deadline` (`NIODeadline` uptime nanoseconds).
    func schedule(at deadline: UInt64, _ task: @escaping () -> Void) -> any ScheduledTask
    /// Whether this loop can open TLS connections to upstreams; when it cannot, a request for a
    /// route with https targets moves the connection to a loop that can (`handOver`).
    var reachesTLSUpstreams: Bool { get }
    /// Gives the socket, with the bytes read but not yet handled, to a SwiftNIO event loop.
    func handOver(unread: ByteBuffer)
}

/// Class-bound: an optional timer held by every session is checked on every request, and copying a
/// non-class existential to look at it went through its value witnesses (0.5 % of the loop).
protocol ScheduledTask: AnyObject {
    func cancel()
}

/// A SwiftNIO timer (the TLS listener and handed-over connections) as a `ScheduledTask`.
final class NIOScheduledTask: ScheduledTask {
    private let scheduled: Scheduled<Void>

    init(_ scheduled: Scheduled<Void>) {
        self.scheduled = scheduled
    }

    func cancel() {
        scheduled.cancel()
    }
}
