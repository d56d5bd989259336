import NIOConcurrencyHelpers
import Domain
import Atomics
import NIOCore
import NIOPosix
import NIOSSL

/// Keep-alive upstream connections of one event loop, per target. Everything of a request stays
/// on one loop, so the pool needs no locks.
final class UpstreamPool {
    let eventLoop: any EventLoop
    let maxIdlePerTarget: Int
    let idleTimeout: TimeAmount
    let tlsContext: NIOSSLContext?
    /// Idle connections by target identity (targets live as long as the registry, which keeps
    /// every target it made; hashing an identity is cheaper than hashing the "host:port" key).
    private var idle: [ObjectIdentifier: [UpstreamConnection]] = [:]

    init(eventLoop: any EventLoop, maxIdlePerTarget: Int = 256, idleTimeout: TimeAmount = .seconds(55), tlsContext: NIOSSLContext?) {
        self.eventLoop = eventLoop
        self.maxIdlePerTarget = maxIdlePerTarget
        self.idleTimeout = idleTimeout
        self.tlsContext = tlsContext
    }

    /// The most recently used idle connection that is still open.
    /// `now`: the caller's reading of `NIODeadline.now()` (saves a clock read per request).
    func takeIdle(_ target: UpstreamTarget, now: NIODeadline = .now()) -> UpstreamConnection? {
        while let connection = idle[ObjectIdentifier(target)]?.popLast() {
            if !connection.closed && connection.idleSince + idleTimeout > now { return connection }
            connection.channel.close(promise: nil)
        }
        return nil
    }

    func release(_ connection: UpstreamConnection, now: NIODeadline = .now()) {
        connection.owner = nil
        connection.idleSince = now
        guard !connection.closed else { return }
        let key = ObjectIdentifier(connection.target)
        if idle[key, default: []].count < maxIdlePerTarget {
            idle[key, default: []].append(connection)
        } else {
            connection.channel.close(promise: nil)
        }
    }

    func forget(_ connection: UpstreamConnection) {
        idle[ObjectIdentifier(connection.target)]?.removeAll { $0 === connection }
    }

    /// Opens a connection (TLS for https targets) on this event loop.
    func connect(_ target: UpstreamTarget, timeout: TimeAmount, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void) {
        let tlsContext = target.tls ? tlsContext : nil
        let host = target.host
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    if let tlsContext {
                        let handler = try NIOSSLClientHandler(context: tlsContext, serverHostname: host.first?.isNumber == true ? nil : host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        bootstrap.connect(host: target.host, port: target.port).assumeIsolated().whenComplete { [weak self] result in
            switch result {
            case .success(let channel):
                do {
                    let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
                    let connection = UpstreamConnection(channel: channel, target: target)
                    handler.connection = connection
                    handler.pool = self
                    completion(.success(connection))
                } catch {
                    channel.close(promise: nil)
                    completion(.failure(error))
                }
            case .failure(let error):
                completion(.failure(error))
            }
        }
    }

    /// Closes connections idle for longer than the idle timeout (called periodically).
    func sweep() {
        let deadline = NIODeadline.now() - idleTimeout
        for (key, connections) in idle {
            let (stale, fresh) = (connections.filter { $0.idleSince < deadline || !$0.channel.isActive }, connections.filter { $0.idleSince >= deadline && $0.channel.isActive })
            stale.forEach { $0.channel.close(promise: nil) }
            idle[key] = fresh
        }
    }
}
