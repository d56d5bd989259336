import NIOCore
import NIOPosix
import NIOSSL

/// Opens upstream connections on a SwiftNIO event loop (TLS for https targets).
final class NIOUpstreamConnector: UpstreamConnector {
    let eventLoop: any EventLoop
    let tlsContext: NIOSSLContext?

    init(eventLoop: any EventLoop, tlsContext: NIOSSLContext?) {
        self.eventLoop = eventLoop
        self.tlsContext = tlsContext
    }

    func execute(_ task: @escaping @Sendable () -> Void) {
        eventLoop.execute(task)
    }

    func connect(
        _ target: UpstreamTarget, timeout: TimeAmount, for pool: UpstreamPool, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void
    ) {
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
                    try channel.pipeline.syncOperations.addHandler(NIOUpstreamChannelHandler())
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        bootstrap.connect(host: target.host, port: target.port).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                // The pool is captured strongly: a weak capture gives it a side table (slow retains).
                guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOUpstreamChannelHandler.self) else {
                    channel.close(promise: nil)
                    completion(.failure(ChannelError.ioOnClosedChannel))
                    return
                }
                let connection = UpstreamConnection(stream: handler, target: target, pool: pool)
                handler.connection = connection
                completion(.success(connection))
            case .failure(let error):
                completion(.failure(error))
            }
        }
    }
}
