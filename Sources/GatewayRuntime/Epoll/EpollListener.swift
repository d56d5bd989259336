import Atomics
import CEpoll
import Dispatch
import Glibc
import Logging
import NIOCore
import ServiceLifecycle

/// The plain-HTTP listener on the gateway's own epoll loops (one thread each). A connection whose
/// request needs a TLS upstream is handed to a SwiftNIO event loop with its unread bytes and
/// stays there. At graceful shutdown it stops accepting, tells every connection to close after
/// its current response, waits (bounded) for them, and stops the loops.
struct EpollListener: Service {
    let shared: GatewayShared
    let loops: [(loop: EpollLoop, resources: PoolDirectory.LoopResources)]
    /// Where handed-over connections go.
    let group: any EventLoopGroup
    let host: String
    let port: Int
    let logger: Logger
    let onBound: @Sendable (Int) -> Void

    func run() async throws {
        let (listener, boundPort) = try Self.listen(host: host, port: port)
        let shared = shared
        let group = group
        let handedOver = ConnectionRegistry()
        // Between leaving an epoll loop and joining the registry a connection is counted here, so shutdown waits for it.
        let handingOver = ManagedAtomic<Int>(0)
        let handOver: (Int32, ByteBuffer) -> Void = { fd, unread in
            handingOver.wrappingIncrement(ordering: .relaxed)
            NIOHandOver.start(fd, unread: unread, shared: shared, group: group, registry: handedOver) {
                handingOver.wrappingDecrement(ordering: .relaxed)
            }
        }
        let acceptors = loops.map { EpollAcceptor(listener: listener, loop: $0.loop, shared: shared, resources: $0.resources, handOver: handOver) }
        for acceptor in acceptors {
            acceptor.loop.start()
            let box = UncheckedSendable(acceptor)
            acceptor.loop.execute { box.value.startAccepting() }
        }
        onBound(boundPort)
        logger.info("Gateway listening", metadata: ["address": "\(host):\(boundPort)", "tls": "false", "loops": "epoll × \(loops.count)"])
        try? await gracefulShutdown()

        shared.draining.store(true, ordering: .relaxed)
        for acceptor in acceptors {
            let box = UncheckedSendable(acceptor)
            acceptor.loop.execute {
                box.value.stopAccepting()
                box.value.quiesceAll()
            }
        }
        let deadline = ContinuousClock.now + .seconds(shared.settings.shutdownGraceSeconds)
        var quiesced = Set<ObjectIdentifier>()
        while ContinuousClock.now < deadline
            && (acceptors.contains { $0.openCount.load(ordering: .relaxed) > 0 } || handedOver.count > 0 || handingOver.load(ordering: .relaxed) > 0)
        {
            // Connections handed over while draining are told too.
            for channel in handedOver.all where quiesced.insert(ObjectIdentifier(channel)).inserted {
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        for channel in handedOver.all { channel.close(promise: nil) }
        // Stopping a loop closes what is left on it (client and pooled upstream sockets).
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let loops = loops.map { UncheckedSendable($0.loop) }
            DispatchQueue.global().async {
                for loop in loops { loop.value.stop() }
                continuation.resume()
            }
        }
        // Client sockets reach their acceptor through an unowned reference when they close, and the
        // loops closed the last of them just above: the acceptors must live until here (release builds
        // end a local's life at its last use, see Package.swift).
        withExtendedLifetime(acceptors) {}
        Glibc.close(listener)
        logger.info("Gateway listener drained", metadata: ["address": "\(host):\(boundPort)"])
    }

    /// A non-blocking listening socket and the port it got (port 0 picks one).
    static func listen(host: String, port: Int) throws -> (Int32, Int) {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family: Int32 = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw EpollError.system("socket", errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard address.withSockAddr({ bind(fd, $0, socklen_t($1)) }) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw EpollError.system("bind \(host):\(port)", code)
        }
        guard Glibc.listen(fd, 1024) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw EpollError.system("listen", code)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        // sin_port and sin6_port both sit at offset 2, in network byte order.
        let boundPort = withUnsafeBytes(of: &storage) { Int(UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self))) }
        return (fd, boundPort)
    }
}
