import NIOCore

/// A keep-alive connection to one upstream target, owned by at most one exchange at a time.
/// Confined to its loop, like the sessions that use it.
final class UpstreamConnection: ByteStreamDelegate {
    let stream: any ByteStream
    let target: UpstreamTarget
    /// The client session whose request currently uses this connection.
    var owner: ClientSession?
    /// Strong: a weak reference would give the pool a side table, and every retain and release
    /// of it on the request path would take the runtime's slow path. Pools live as long as their
    /// loop; the cycle through the pool's idle list ends when the connection closes (`forget`).
    let pool: UpstreamPool
    var idleSince: NIODeadline = .now()
    /// Requests served on this connection (a reused connection may have been closed by the peer).
    var uses = 0
    /// Set when the stream reported its close.
    var closed = false
    /// Whether the stream reads (off while the client cannot take more bytes).
    private(set) var autoRead = true

    init(stream: any ByteStream, target: UpstreamTarget, pool: UpstreamPool) {
        self.stream = stream
        self.target = target
        self.pool = pool
    }

    /// Changes reading only when it differs (set once per request otherwise).
    func setAutoRead(_ on: Bool) {
        guard on != autoRead else { return }
        autoRead = on
        stream.setReading(on)
    }

    // MARK: ByteStreamDelegate

    func streamRead(_ bytes: ByteBuffer) {
        if let owner {
            owner.upstreamRead(bytes, from: self)
        } else {
            // Bytes on an idle connection mean the peer is out of sync: never reuse it.
            stream.close()
        }
    }

    func streamReadComplete() {
        owner?.upstreamReadComplete()
    }

    func streamWritabilityChanged(_ writable: Bool) {
        owner?.upstreamWritabilityChanged(writable)
    }

    func streamClosed() {
        guard !closed else { return }
        closed = true
        if let owner {
            owner.upstreamClosed(self)
        } else {
            pool.forget(self)
        }
    }
}
