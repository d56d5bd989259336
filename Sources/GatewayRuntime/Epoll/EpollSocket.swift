import CEpoll
import Glibc
import NIOCore

/// A connected TCP socket on an `EpollLoop`: a client connection of the plain listener (the
/// `ClientStream` of its session) or an upstream connection (the `ByteStream` of an
/// `UpstreamConnection`). Writes queue until `flush`, which writes (`send`/`writev`) at once
/// and waits for `EPOLLOUT` only for what the kernel did not take. Reads go to the delegate,
/// one `recv` per readiness unless the read filled the loop's buffer.
///
/// `send` and `recv` rather than `write` and `read`, as nginx does: they go straight to the
/// socket layer, skipping the file layer's position lock, checks and notifications (`--ab`:
/// 0.971-0.981 of the CPU per request with `write`/`read`). Called as plain system calls
/// (`cepoll_send` and the others in `CEpoll.h`), without glibc's cancellation switching.
final class EpollSocket: EpollSource, ClientStream {
    static let maxIovecs = 64
    /// Writability turns off above this many queued bytes and back on below the low mark
    /// (SwiftNIO's defaults).
    static let highWatermark = 64 * 1024
    static let lowWatermark = 32 * 1024
    /// Reads up to this size land in the socket's previous receive buffer when nobody holds it
    /// any more (a malloc and free fewer per read); larger ones get a buffer of their own. Small
    /// enough that idle connections holding one cost little.
    static let reusedReceiveCapacity = 2048
    static let allocator = ByteBufferAllocator()

    let fd: Int32
    // unowned(unsafe): a socket's methods only run on its loop's thread, which ends when the loop
    // stops (closing every socket), and a checked unowned reference costs a retain and release per
    // use on the hot path.
    unowned(unsafe) let loop: EpollLoop
    var delegate: (any ByteStreamDelegate)?
    /// For client sockets: takes the descriptor and unread bytes when the session hands over.
    var onHandOver: ((Int32, ByteBuffer) -> Void)?
    /// For client sockets: told when the socket closes (the plane's connection table).
    var onClose: ((EpollSocket) -> Void)?

    private var receiveBuffer: ByteBuffer?
    private var queue: [ByteBuffer] = []
    /// The first `flushedCount` buffers of `queue` are to be sent now.
    private var flushedCount = 0
    private var queuedBytes = 0
    private(set) var isWritable = true
    private(set) var isOpen = true
    private var reading = true
    private var waitingForOutput = false
    private var registeredEvents: UInt32 = 0
    private var closeWhenSent = false
    private var pendingHandOver: ByteBuffer?
    private var connectCompletion: ((Bool) -> Void)?
    private var connectTimer: EpollTimer?

    init(fd: Int32, loop: EpollLoop) {
        self.fd = fd
        self.loop = loop
    }

    /// Adds an accepted or connected socket to the loop, reading.
    func register() -> Bool {
        registeredEvents = EpollLoop.readable
        return loop.register(self, events: registeredEvents)
    }

    private var wantedEvents: UInt32 {
        if connectCompletion != nil { return EpollLoop.writable }
        return (reading ? EpollLoop.readable : 0) | (waitingForOutput ? EpollLoop.writable : 0)
    }

    private func updateEvents() {
        guard isOpen else { return }
        let wanted = wantedEvents
        if wanted != registeredEvents {
            registeredEvents = wanted
            loop.modify(self, events: wanted)
        }
    }

    // MARK: Events

    func handle(events: UInt32) {
        if connectCompletion != nil {
            finishConnect()
            return
        }
        if events & EpollLoop.writable != 0 {
            sendQueued()
            guard isOpen else { return }
        }
        if events & EpollLoop.readable != 0 {
            if reading { readAvailable() }
        } else if events & EpollLoop.failed != 0 {
            // A reset (HUP without IN arrives only when both directions are down, and the gateway never shuts down its side).
            close()
        }
    }

    private func readAvailable() {
        var reads = 0
        while isOpen && reading {
            let count = cepoll_recv(fd, loop.scratch.baseAddress, loop.scratch.count)
            if count > 0 {
                let bytes = UnsafeRawBufferPointer(start: loop.scratch.baseAddress, count: count)
                var buffer: ByteBuffer
                if count <= Self.reusedReceiveCapacity, var previous = receiveBuffer {
                    // Let go of the stored reference first, so `clear` finds the storage unique
                    // when the delegate is done with the previous read (else it allocates anew).
                    receiveBuffer = nil
                    previous.clear(minimumCapacity: count)
                    buffer = previous
                } else {
                    buffer = Self.allocator.buffer(capacity: count)
                }
                buffer.writeBytes(bytes)
                receiveBuffer = buffer.capacity <= Self.reusedReceiveCapacity ? buffer : nil
                reads += 1
                delegate?.streamRead(buffer)
                if count < loop.scratch.count || reads >= 16 { break }
            } else if count == 0 {
                close()
                return
            } else {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { break }
                close()
                return
            }
        }
        if isOpen && reads > 0 { delegate?.streamReadComplete() }
    }

    func loopStopping() {
        close()
    }

    // MARK: ByteStream

    func write(_ buffer: ByteBuffer) {
        guard isOpen, buffer.readableBytes > 0 else { return }
        queue.append(buffer)
        queuedBytes += buffer.readableBytes
        if isWritable && queuedBytes > Self.highWatermark {
            isWritable = false
            delegate?.streamWritabilityChanged(false)
        }
    }

    func flush() {
        guard isOpen else { return }
        flushedCount = queue.count
        if !waitingForOutput && connectCompletion == nil { sendQueued() }
    }

    func writeAndFlush(_ buffer: ByteBuffer) {
        // The usual case, nothing queued: one `write` straight from the buffer, without passing
        // through the queue (an append, a removal and their reference counting per write). What
        // the kernel does not take is queued as usual and waits for `EPOLLOUT`.
        guard isOpen, queue.isEmpty, !waitingForOutput, connectCompletion == nil, buffer.readableBytes > 0 else {
            write(buffer)
            flush()
            return
        }
        let written = buffer.withUnsafeReadableBytes { cepoll_send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written == buffer.readableBytes { return }
        if written < 0 {
            let code = errno
            guard code == EINTR || code == EAGAIN || code == EWOULDBLOCK else {
                close()
                return
            }
        }
        var rest = buffer
        rest.moveReaderIndex(forwardBy: max(0, written))
        write(rest)
        flush()
    }

    func closeAfterFlush() {
        flush()
        guard isOpen else { return }
        if queue.isEmpty { close() } else { closeWhenSent = true }
    }

    func setReading(_ on: Bool) {
        guard on != reading else { return }
        reading = on
        updateEvents()
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        loop.deregister(self)
        Glibc.close(fd)
        receiveBuffer = nil
        queue.removeAll()
        flushedCount = 0
        queuedBytes = 0
        connectTimer?.cancel()
        connectTimer = nil
        if let completion = connectCompletion {
            connectCompletion = nil
            loop.later { completion(false) }
        }
        onClose?(self)
        onClose = nil
        onHandOver = nil
        if let delegate {
            self.delegate = nil
            loop.later { delegate.streamClosed() }
        }
    }

    /// Writes the flushed buffers until done or the kernel's buffer is full.
    private func sendQueued() {
        while flushedCount > 0 {
            let written: Int
            if flushedCount == 1 {
                written = queue[0].withUnsafeReadableBytes { cepoll_send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            } else {
                let count = min(flushedCount, Self.maxIovecs)
                for index in 0..<count {
                    // The queue holds the buffers until the call returns, so their storage stays put.
                    queue[index].withUnsafeReadableBytes {
                        loop.iovecs[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
                    }
                }
                written = cepoll_writev(fd, loop.iovecs, Int32(count))
            }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK {
                    if !waitingForOutput {
                        waitingForOutput = true
                        updateEvents()
                    }
                    return
                }
                close()
                return
            }
            consume(written)
        }
        if waitingForOutput {
            waitingForOutput = false
            updateEvents()
        }
        guard queue.isEmpty else { return }
        if closeWhenSent {
            close()
        } else if let unread = pendingHandOver {
            completeHandOver(unread)
        }
    }

    /// Drops `count` sent bytes from the front of the queue.
    private func consume(_ count: Int) {
        var left = count
        var done = 0
        while left > 0 {
            let readable = queue[done].readableBytes
            if readable <= left {
                left -= readable
                done += 1
            } else {
                queue[done].moveReaderIndex(forwardBy: left)
                left = 0
            }
        }
        if done == queue.count {
            queue.removeAll(keepingCapacity: true)
        } else if done > 0 {
            queue.removeFirst(done)
        }
        flushedCount -= done
        queuedBytes -= count
        if !isWritable && queuedBytes <= Self.lowWatermark {
            isWritable = true
            delegate?.streamWritabilityChanged(true)
        }
    }

    // MARK: ClientStream

    func schedule(at deadline: UInt64, _ task: @escaping () -> Void) -> any ScheduledTask {
        loop.schedule(at: deadline, task)
    }

    var now: UInt64 { loop.now }
    var wallClock: Double { loop.wallClock }

    var reachesTLSUpstreams: Bool { false }

    /// Stops reading, sends what is queued, then gives the descriptor away (it stays open).
    func handOver(unread: ByteBuffer) {
        delegate = nil
        setReading(false)
        if queue.isEmpty {
            completeHandOver(unread)
        } else {
            pendingHandOver = unread
            flush()
        }
    }

    private func completeHandOver(_ unread: ByteBuffer) {
        pendingHandOver = nil
        receiveBuffer = nil
        isOpen = false
        loop.deregister(self)
        let receiver = onHandOver
        onHandOver = nil
        onClose?(self)
        onClose = nil
        if let receiver {
            receiver(fd, unread)
        } else {
            Glibc.close(fd)
        }
    }

    // MARK: Connecting (upstream sockets)

    /// Starts a non-blocking connect; `completion` runs on the loop (never within this call).
    static func connect(
        to address: SocketAddress, timeoutNanos: UInt64, on loop: EpollLoop, _ completion: @escaping (EpollSocket?) -> Void
    ) {
        let family: Int32 = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            loop.later { completion(nil) }
            return
        }
        setNoDelay(fd)
        let result = address.withSockAddr { Glibc.connect(fd, $0, socklen_t($1)) }
        if result != 0 && errno != EINPROGRESS {
            Glibc.close(fd)
            loop.later { completion(nil) }
            return
        }
        let socket = EpollSocket(fd: fd, loop: loop)
        socket.connectCompletion = { [unowned socket] connected in completion(connected ? socket : nil) }
        socket.registeredEvents = EpollLoop.writable
        guard loop.register(socket, events: EpollLoop.writable) else {
            socket.close()
            return
        }
        // A strong capture (a weak one would give every upstream socket a side table, and its
        // retains and releases on the request path the slow path); the cycle ends when the timer
        // is cancelled (connected or closed) or fires.
        socket.connectTimer = loop.schedule(at: NIODeadline.now().uptimeNanoseconds &+ timeoutNanos) {
            socket.close()
        }
    }

    private func finishConnect() {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else {
            close()
            return
        }
        connectTimer?.cancel()
        connectTimer = nil
        let completion = connectCompletion
        connectCompletion = nil
        updateEvents()
        if flushedCount > 0 { sendQueued() }
        completion?(true)
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}
