import CEpoll
import Dispatch
import Glibc
import NIOCore

/// Opens plain-HTTP upstream connections on an `EpollLoop`. A numeric host is its address; a
/// name is resolved with `getaddrinfo` on a background queue (it may block for seconds) and the
/// answer is kept 30 seconds (a failed lookup 5), with connects waiting for it queued. Each
/// address is tried in turn within the connect timeout. https targets never get here: a session
/// on an epoll loop hands such requests to SwiftNIO first.
final class EpollUpstreamConnector: UpstreamConnector {
    // Strong: the pool (and so this connector) can outlive the listener that owns the loop.
    let loop: EpollLoop
    private var resolved: [ObjectIdentifier: (addresses: [SocketAddress], until: UInt64)] = [:]
    private var waiting: [ObjectIdentifier: [([SocketAddress]) -> Void]] = [:]
    private static let resolutionLifetime: UInt64 = 30_000_000_000
    private static let failureLifetime: UInt64 = 5_000_000_000

    init(loop: EpollLoop) {
        self.loop = loop
    }

    func execute(_ task: @escaping @Sendable () -> Void) {
        loop.execute(task)
    }

    func connect(
        _ target: UpstreamTarget, timeout: TimeAmount, for pool: UpstreamPool, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void
    ) {
        let started = NIODeadline.now().uptimeNanoseconds
        let deadline = started &+ UInt64(max(0, timeout.nanoseconds))
        guard !target.tls else {
            loop.later { completion(.failure(EpollError.system("connect \(target.key): https needs SwiftNIO", EPROTONOSUPPORT))) }
            return
        }
        // Strong captures (also below): a weak one would give the pool and the connector side
        // tables, and make every retain and release of them on the request path slow.
        addresses(of: target, now: started) { [self] addresses in
            guard !addresses.isEmpty else {
                completion(.failure(EpollError.system("resolve \(target.host)", EHOSTUNREACH)))
                return
            }
            self.attempt(addresses[...], target: target, deadline: deadline, pool: pool, completion)
        }
    }

    private func attempt(
        _ addresses: ArraySlice<SocketAddress>, target: UpstreamTarget, deadline: UInt64, pool: UpstreamPool,
        _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void
    ) {
        let now = NIODeadline.now().uptimeNanoseconds
        guard let address = addresses.first, now < deadline else {
            completion(.failure(EpollError.system("connect \(target.key)", ECONNREFUSED)))
            return
        }
        EpollSocket.connect(to: address, timeoutNanos: deadline - now, on: loop) { [self] socket in
            guard let socket else {
                attempt(addresses.dropFirst(), target: target, deadline: deadline, pool: pool, completion)
                return
            }
            let connection = UpstreamConnection(stream: socket, target: target, pool: pool)
            socket.delegate = connection
            completion(.success(connection))
        }
    }

    /// The target's addresses, now (numeric host or a fresh cache entry; then on the next turn of
    /// the loop, never within this call) or once a background lookup answered.
    private func addresses(of target: UpstreamTarget, now: UInt64, _ completion: @escaping ([SocketAddress]) -> Void) {
        let id = ObjectIdentifier(target)
        if let entry = resolved[id], entry.until > now {
            loop.later { completion(entry.addresses) }
            return
        }
        if let numeric = Self.numericAddress(host: target.host, port: target.port) {
            resolved[id] = ([numeric], .max)
            loop.later { completion([numeric]) }
            return
        }
        if waiting[id] != nil {
            waiting[id]!.append(completion)
            return
        }
        waiting[id] = [completion]
        let (host, port) = (target.host, target.port)
        let connector = UncheckedSendable(self)
        DispatchQueue.global().async {
            let addresses = Self.resolve(host: host, port: port) ?? []
            connector.value.loop.execute {
                let connector = connector.value
                let lifetime = addresses.isEmpty ? Self.failureLifetime : Self.resolutionLifetime
                connector.resolved[id] = (addresses, NIODeadline.now().uptimeNanoseconds &+ lifetime)
                for waiter in connector.waiting.removeValue(forKey: id) ?? [] { waiter(addresses) }
            }
        }
    }

    /// An IPv4 or IPv6 literal (brackets allowed) as an address, without a lookup. (SwiftNIO's
    /// parser: filling a `sockaddr_in` here made incremental builds resolve its fields through
    /// NIOPosix's private copy of the C headers, which `MemberImportVisibility` rejects.)
    static func numericAddress(host: String, port: Int) -> SocketAddress? {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return try? SocketAddress(ipAddress: name, port: port)
    }

    /// Every TCP address of `host` (IPv4 first, like most resolvers' preference for loopback names).
    /// Blocking: call it off the loops.
    static func resolve(host: String, port: Int) -> [SocketAddress]? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var v4: [SocketAddress] = []
        var v6: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            if let address = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET: v4.append(address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                case AF_INET6: v6.append(address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                default: break
                }
            }
            entry = info.pointee.ai_next
        }
        return v4 + v6
    }
}
