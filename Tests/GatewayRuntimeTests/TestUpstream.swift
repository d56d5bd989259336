import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A real HTTP upstream for gateway tests. It answers with a JSON description of the request
/// (its own name, method, URI, headers, body size) and records every request it received, so
/// tests can prove what reached (or never reached) an upstream. Query parameters steer it:
/// `status=503`, `delay_ms=200`, `size=100000` (response body size), `close=1`.
final class TestUpstream: Sendable {
    struct Received: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var bodyBytes: Int
    }

    let name: String
    let group: MultiThreadedEventLoopGroup
    private let channel: NIOLockedValueBox<(any Channel)?> = .init(nil)
    private let log = NIOLockedValueBox<[Received]>([])
    private let connections = NIOLockedValueBox<[any Channel]>([])
    /// When set, every request is answered with this status.
    let forcedStatus = NIOLockedValueBox<Int?>(nil)
    /// Serves https with this context (its URL then names `localhost`, the certificate's name).
    let tls: NIOSSLContext?

    init(name: String, tls: NIOSSLContext? = nil) {
        self.name = name
        self.tls = tls
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    var port: Int { channel.withLockedValue { $0?.localAddress?.port ?? 0 } }
    var url: String { tls == nil ? "http://127.0.0.1:\(port)" : "https://localhost:\(port)" }
    var received: [Received] { log.withLockedValue { $0 } }
    var count: Int { log.withLockedValue { $0.count } }
    func reset() { log.withLockedValue { $0.removeAll() } }

    func start(port: Int = 0) async throws {
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                self.connections.withLockedValue { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls = self.tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(upstream: self))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        channel.withLockedValue { $0 = bound }
    }

    /// Stops listening and closes every open connection (as a crashed server would).
    func stop() async {
        if let channel = channel.withLockedValue({ $0 }) { try? await channel.close() }
        channel.withLockedValue { $0 = nil }
        for connection in connections.withLockedValue({ list in defer { list.removeAll() }; return list }) {
            try? await connection.close()
        }
    }

    func shutdown() async {
        await stop()
        try? await group.shutdownGracefully()
    }

    fileprivate func record(_ received: Received) { log.withLockedValue { $0.append(received) } }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let upstream: TestUpstream
        var head: HTTPRequestHead?
        var bodyBytes = 0

        init(upstream: TestUpstream) {
            self.upstream = upstream
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                bodyBytes = 0
            case .body(let body):
                bodyBytes += body.readableBytes
            case .end:
                guard let head else { return }
                let query = URLComponents(string: head.uri)?.queryItems ?? []
                func param(_ name: String) -> Int? { query.first { $0.name == name }?.value.flatMap(Int.init) }
                upstream.record(Received(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, bodyBytes: bodyBytes))
                let status = upstream.forcedStatus.withLockedValue { $0 } ?? param("status") ?? 200
                var payload: [String: Any] = [
                    "upstream": upstream.name, "method": head.method.rawValue, "uri": head.uri, "bodyBytes": bodyBytes,
                    "headers": Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { "\($0), \($1)" }),
                ]
                if let size = param("size") { payload["padding"] = String(repeating: "x", count: size) }
                let body = try! JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
                let close = param("close") == 1 || !head.isKeepAlive
                let respond = { [self] in
                    var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.count))])
                    if close { headers.add(name: "Connection", value: "close") }
                    // ?cors=1: the upstream's own CORS answer (the gateway passes or replaces it).
                    if param("cors") == 1 { headers.add(name: "Access-Control-Allow-Origin", value: "https://upstream.example") }
                    context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))), promise: nil)
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                        if close { context.close(promise: nil) }
                    }
                }
                if let delay = param("delay_ms") {
                    context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(delay))) { respond() }
                } else {
                    respond()
                }
                self.head = nil
            }
        }
    }
}
