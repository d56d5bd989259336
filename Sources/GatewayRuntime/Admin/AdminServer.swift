import NIOConcurrencyHelpers
import Domain
import Atomics
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The operations listener (a separate port): `/healthz` (the process is up), `/readyz` (a
/// configuration is loaded, so requests can be served) and Prometheus `/metrics`. Off the hot
/// path, so it uses NIOHTTP1.
struct AdminServer: Service {
    let shared: GatewayShared
    let group: any EventLoopGroup
    let host: String
    let port: Int
    let logger: Logger
    let onBound: @Sendable (Int) -> Void

    func run() async throws {
        let shared = shared
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(shared: shared))
                }
            }
            .bind(host: host, port: port).get()
        onBound(channel.localAddress?.port ?? port)
        logger.info("Admin listener started", metadata: ["address": "\(host):\(channel.localAddress?.port ?? port)"])
        try? await gracefulShutdown()
        try await channel.close()
    }
}

final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let shared: GatewayShared
    private var path = ""
    private var keepAlive = true

    init(shared: GatewayShared) {
        self.shared = shared
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.split(separator: "?").first ?? "")
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let (status, type, body): (HTTPResponseStatus, String, String)
            switch path {
            case "/healthz":
                (status, type, body) = (.ok, "text/plain", "ok\n")
            case "/readyz":
                let ready = shared.config.isLoaded && !shared.draining.load(ordering: .relaxed)
                (status, type, body) = ready
                    ? (.ok, "text/plain", "ready revision=\(shared.config.config.revision)\n")
                    : (.serviceUnavailable, "text/plain", shared.config.isLoaded ? "draining\n" : "no configuration loaded yet\n")
            case "/metrics":
                (status, type, body) = (.ok, "text/plain; version=0.0.4", shared.metrics.render(logBuffer: shared.logs, targets: shared.targets.all))
            default:
                (status, type, body) = (.notFound, "text/plain", "not found\n")
            }
            var headers = HTTPHeaders([("Content-Type", type), ("Content-Length", String(body.utf8.count))])
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            let keepAlive = keepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }
}
