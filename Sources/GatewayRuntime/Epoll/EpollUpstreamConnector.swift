import CEpoll
import Glibc
import NIOCore

/// Opens plain-HTTP upstream connections on an `EpollLoop`. Addresses are resolved with
/// `getaddrinfo` on the loop (as SwiftNIO's default resolver does) and kept for 30 seconds; each
/// resolved address is tried in turn within the connect timeout. https targets never get here:
/// a session on the epoll loop hands such requests to SwiftNIO first.
final class EpollUpstreamConnector: UpstreamConnector {
    // unowned(unsafe): a loop outlives everything registered in it (stopping it closes them), and
    // a checked unowned reference costs a retain and release per use on the hot path.
    unowned(unsafe) let loop: EpollLoop
    private var resolved: [ObjectIdentifier: (addresses: [SocketAddress], until: UInt64)] = [:]
    private static let resolutionLifetime: UInt64 = 30_000_000_000

    init(loop: EpollLoop) {
        self.loop = loop
    }

    func execute(_ task: @escaping @Sendable () -> Void) {
        loop.execute(task)
    }

    func connect(
        _ target: UpstreamTarget, timeout: TimeAmount, for pool: UpstreamPool, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void
    ) {
        let now = NIODeadline.now().uptimeNanoseconds
        guard !target.tls, let addresses = addresses(of: target, now: now), !addresses.isEmpty else {
            loop.later { completion(.failure(EpollError.system("getaddrinfo \(target.host)", ENOENT))) }
            return
        }
        let deadline = now &+ UInt64(max(0, timeout.nanoseconds))
        attempt(addresses[...], target: target, deadline: deadline, pool: pool, completion)
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
        EpollSocket.connect(to: address, timeoutNanos: deadline - now, on: loop) { [weak self, weak pool] socket in
            guard let socket else {
                self?.resolved[ObjectIdentifier(target)] = nil  // the next connect resolves again
                if let self, let pool { self.attempt(addresses.dropFirst(), target: target, deadline: deadline, pool: pool, completion) }
                else { completion(.failure(EpollError.system("connect \(target.key)", ECONNREFUSED))) }
                return
            }
            guard let pool else {
                socket.close()
                completion(.failure(EpollError.system("connect \(target.key)", ECANCELED)))
                return
            }
            let connection = UpstreamConnection(stream: socket, target: target, pool: pool)
            socket.delegate = connection
            completion(.success(connection))
        }
    }

    private func addresses(of target: UpstreamTarget, now: UInt64) -> [SocketAddress]? {
        if let entry = resolved[ObjectIdentifier(target)], entry.until > now { return entry.addresses }
        guard let addresses = Self.resolve(host: target.host, port: target.port) else { return nil }
        resolved[ObjectIdentifier(target)] = (addresses, now &+ Self.resolutionLifetime)
        return addresses
    }

    /// Every TCP address of `host` (IPv4 first, like most resolvers' preference for loopback names).
    static func resolve(host: String, port: Int) -> [SocketAddress]? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard getaddrinfo(name, String(port), &hints, &list) == 0, let first = list else { return nil }
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
