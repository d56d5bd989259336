import CEpoll
import Dispatch
import Foundation
import Glibc
import NIOConcurrencyHelpers
import NIOCore

/// Something registered in an `EpollLoop`'s epoll set.
protocol EpollSource: AnyObject {
    var fd: Int32 { get }
    func handle(events: UInt32)
    /// The loop is stopping: release the descriptor.
    func loopStopping()
}

/// One thread running one level-triggered epoll set: the plain listener's client connections
/// and their upstream connections, timers, and tasks sent from other threads.
///
/// Why not SwiftNIO here: measured side by side (`bench/epoll-probe` against `bench/relay-probe`),
/// SwiftNIO's channel machinery costs 5–9 µs of user CPU per proxied request, about nginx's whole
/// proxy; a plain epoll loop costs under 1 µs. SwiftNIO keeps the TLS listener, TLS upstreams,
/// the admin listener and health checks, where that cost does not decide throughput.
final class EpollLoop: @unchecked Sendable {
    // @unchecked: everything except `inbox` (behind `inboxLock`) and `wakeFD` is touched only
    // by the loop's thread.
    let name: String
    private let epfd: Int32
    private let wakeFD: Int32
    private var sources: [(any EpollSource)?] = []
    private var generations: [UInt32] = []
    private var timers = EpollTimerQueue()
    private let inboxLock = NIOLock()
    private var inbox: [() -> Void] = []
    private var deferred: [() -> Void] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private static let wakeTag = UInt64.max
    private static let maxEvents: Int32 = 128
    /// Read buffer shared by the loop's sockets (bytes are copied out into right-sized buffers).
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// Scatter list for `writev`.
    let iovecs = UnsafeMutablePointer<iovec>.allocate(capacity: EpollSocket.maxIovecs)

    /// The clock (`NIODeadline` uptime nanoseconds) as read when `epoll_wait` last returned, and
    /// again after the timers' turn. Client sessions take every time from it (call latencies,
    /// timeouts, health and retry bookkeeping), as nginx does with its cached time: five clock
    /// reads per request were 1 % of the loop.
    /// A call's latency therefore counts from the wake-up that brought its bytes to the wake-up
    /// that sent its answer, the handling of the other events of those wake-ups included.
    private(set) var now = NIODeadline.now().uptimeNanoseconds
    /// Unix time, read at most once per wake-up, when first asked for.
    var wallClock: Double {
        if wallClockStale {
            cachedWallClock = Date().timeIntervalSince1970
            wallClockStale = false
        }
        return cachedWallClock
    }
    private var cachedWallClock = 0.0
    private var wallClockStale = true

    static let readable = EPOLLIN.rawValue
    static let writable = EPOLLOUT.rawValue
    static let failed = EPOLLERR.rawValue | EPOLLHUP.rawValue

    /// A write to a connection the peer closed must fail with EPIPE, not kill the process
    /// (SwiftNIO does the same, but only once it opens its first socket).
    private static let sigpipeIgnored: Bool = {
        _ = signal(SIGPIPE, SIG_IGN)
        return true
    }()

    init(name: String) throws {
        precondition(Self.sigpipeIgnored)
        self.name = name
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw EpollError.system("epoll_create1", errno) }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else { throw EpollError.system("eventfd", errno) }
        var event = epoll_event()
        event.events = Self.readable
        event.data.u64 = Self.wakeTag
        guard epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, &event) == 0 else { throw EpollError.system("epoll_ctl", errno) }
    }

    deinit {
        Glibc.close(epfd)
        Glibc.close(wakeFD)
        scratch.deallocate()
        iovecs.deallocate()
    }

    // MARK: Thread

    func start() {
        let thread = Thread { [self] in
            cepoll_name_thread(String(name.prefix(15)))
            run()
            finished.signal()
        }
        thread.start()
    }

    /// Asks the loop to release every registered descriptor and end its thread, and waits for that.
    func stop() {
        execute { [self] in stopping = true }
        finished.wait()
    }

    private func run() {
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(Self.maxEvents))
        defer { events.deallocate() }
        while !stopping {
            var timeout: Int32 = -1
            if let deadline = timers.earliestDeadline() {
                // `now` was read in the timers' turn just before (there are timers, so it ran).
                timeout = deadline <= now ? 0 : Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            }
            let count = cepoll_wait(epfd, events, Self.maxEvents, timeout)
            now = NIODeadline.now().uptimeNanoseconds
            wallClockStale = true
            if count < 0 {
                guard errno == EINTR else { fatalError("epoll_wait failed: errno \(errno)") }
                continue
            }
            for index in 0..<Int(count) {
                let tag = events[index].data.u64
                if tag == Self.wakeTag {
                    runInbox()
                } else {
                    let fd = Int(tag & 0xFFFF_FFFF)
                    guard fd < sources.count, generations[fd] == UInt32(truncatingIfNeeded: tag >> 32), let source = sources[fd] else { continue }
                    source.handle(events: events[index].events)
                }
                runDeferred()
            }
            runDueTimers()
        }
        for source in sources { source?.loopStopping() }
        runDeferred()
        sources.removeAll()
        timers.removeAll()
    }

    private func runInbox() {
        var counter: UInt64 = 0
        _ = Glibc.read(wakeFD, &counter, 8)
        let tasks = inboxLock.withLock {
            let tasks = inbox
            inbox.removeAll(keepingCapacity: true)
            return tasks
        }
        for task in tasks { task() }
    }

    private func runDueTimers() {
        guard !timers.isEmpty else { return }
        now = NIODeadline.now().uptimeNanoseconds
        wallClockStale = true
        while let timer = timers.popDue(now: now) {
            if let task = timer.task {
                timer.cancel()
                task()
                runDeferred()
            }
        }
    }

    private func runDeferred() {
        while !deferred.isEmpty {
            let tasks = deferred
            deferred.removeAll(keepingCapacity: true)
            for task in tasks { task() }
        }
    }

    // MARK: Scheduling (loop thread, except `execute`)

    /// Runs `task` on the loop's thread (callable from any thread).
    func execute(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = inboxLock.withLock {
            inbox.append(task)
            return inbox.count == 1
        }
        // The loop reads the eventfd before taking the inbox, so one wake per non-empty inbox suffices.
        if wasEmpty {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Runs `task` after the event being handled (close notifications, connect results), so
    /// callers never see their own call re-entered.
    func later(_ task: @escaping () -> Void) {
        deferred.append(task)
    }

    func schedule(at deadline: UInt64, _ task: @escaping () -> Void) -> EpollTimer {
        let timer = EpollTimer(deadline: deadline, task: task)
        timers.push(timer)
        return timer
    }

    // MARK: Registration (loop thread)

    @discardableResult
    func register(_ source: any EpollSource, events: UInt32) -> Bool {
        // While stopping nothing new joins (a connect retried by a closing session would leak).
        guard !stopping else { return false }
        let fd = Int(source.fd)
        if fd >= sources.count {
            let count = max(fd + 1, sources.count * 2, 1024)
            sources += Array(repeating: nil, count: count - sources.count)
            generations += Array(repeating: 0, count: count - generations.count)
        }
        generations[fd] &+= 1
        sources[fd] = source
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(fd) | UInt64(generations[fd]) << 32
        if epoll_ctl(epfd, EPOLL_CTL_ADD, source.fd, &event) != 0 {
            sources[fd] = nil
            return false
        }
        return true
    }

    func modify(_ source: any EpollSource, events: UInt32) {
        let fd = Int(source.fd)
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(fd) | UInt64(generations[fd]) << 32
        _ = epoll_ctl(epfd, EPOLL_CTL_MOD, source.fd, &event)
    }

    /// Removes the source from the set (before its descriptor is closed or handed on).
    func deregister(_ source: any EpollSource) {
        let fd = Int(source.fd)
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, source.fd, nil)
        if fd < sources.count, sources[fd] === source { sources[fd] = nil }
    }
}

enum EpollError: Error, CustomStringConvertible {
    case system(String, Int32)

    var description: String {
        switch self {
        case .system(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
        }
    }
}
