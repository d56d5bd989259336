import Atomics
import CEpoll
import Glibc
import NIOCore

/// Accepts the plain listener's connections on one `EpollLoop` (every loop watches the shared
/// listening socket with `EPOLLEXCLUSIVE`, so one wakes per connection) and gives each a
/// `ClientSession`. Keeps the loop's open client sockets for graceful shutdown.
final class EpollAcceptor: EpollSource {
    let fd: Int32
    // unowned(unsafe): like EpollSocket's, used only on the loop's own thread.
    unowned(unsafe) let loop: EpollLoop
    private let shared: GatewayShared
    private let resources: PoolDirectory.LoopResources
    private let handOver: (Int32, ByteBuffer) -> Void
    private var clients: [ObjectIdentifier: EpollSocket] = [:]
    /// Open client sockets, readable from other threads (shutdown waits for zero).
    let openCount = ManagedAtomic<Int>(0)
    private var accepting = false

    init(listener fd: Int32, loop: EpollLoop, shared: GatewayShared, resources: PoolDirectory.LoopResources, handOver: @escaping (Int32, ByteBuffer) -> Void) {
        self.fd = fd
        self.loop = loop
        self.shared = shared
        self.resources = resources
        self.handOver = handOver
    }

    func startAccepting() {
        guard !accepting else { return }
        accepting = loop.register(self, events: EpollLoop.readable | EPOLLEXCLUSIVE.rawValue)
    }

    func stopAccepting() {
        guard accepting else { return }
        accepting = false
        loop.deregister(self)
    }

    func handle(events: UInt32) {
        for _ in 0..<16 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    cepoll_accept4(fd, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                }
            }
            if client < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: a level-triggered listener would spin; look again in 100 ms.
                    stopAccepting()
                    _ = loop.schedule(at: NIODeadline.now().uptimeNanoseconds &+ 100_000_000) { [weak self] in
                        if self?.shared.draining.load(ordering: .relaxed) == false { self?.startAccepting() }
                    }
                    return
                default: return
                }
            }
            EpollSocket.setNoDelay(client)
            let socket = EpollSocket(fd: client, loop: loop)
            guard socket.register() else {
                Glibc.close(client)
                continue
            }
            let session = ClientSession(shared: shared, loop: resources, tls: false)
            socket.delegate = session
            socket.onHandOver = handOver
            socket.onClose = { [unowned self] (socket: EpollSocket) in
                if clients.removeValue(forKey: ObjectIdentifier(socket)) != nil { openCount.wrappingDecrement(ordering: .relaxed) }
            }
            clients[ObjectIdentifier(socket)] = socket
            openCount.wrappingIncrement(ordering: .relaxed)
            session.open(socket, clientIP: Self.ipAddress(storage))
        }
    }

    /// Graceful shutdown: every connection closes after its current response.
    func quiesceAll() {
        for socket in clients.values { (socket.delegate as? ClientSession)?.quiesce() }
    }

    func loopStopping() {
        stopAccepting()
    }

    static func ipAddress(_ storage: sockaddr_storage) -> String {
        var storage = storage
        return withUnsafePointer(to: &storage) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee).ipAddress ?? "" }
            case AF_INET6: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee).ipAddress ?? "" }
            default: ""
            }
        }
    }
}
