// The floor of a SwiftNIO proxy: each client connection is paired with its own upstream
// connection on the same event loop and bytes are relayed verbatim both ways (no parsing, no
// features), one write per read burst and one flush per direction. For comparison with the
// gateway (README, "Performance"); run next to `HOLD=1 bench/gateway.sh`:
//   cd bench/relay-probe && swift build -c release && taskset -c 0 .build/release/Probe PORT UPSTREAM_PORT
import NIOCore
import NIOPosix

final class UpstreamSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let client: Channel
    init(client: Channel) { self.client = client }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { client.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { client.flush() }
    func channelInactive(context: ChannelHandlerContext) { client.close(promise: nil) }
}

final class ClientSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let upstreamPort: Int
    var upstream: Channel?
    var pending: [NIOAny] = []
    init(upstreamPort: Int) { self.upstreamPort = upstreamPort }
    func channelActive(context: ChannelHandlerContext) {
        let client = context.channel
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UpstreamSide(client: client)) } }
            .connect(host: "127.0.0.1", port: upstreamPort).assumeIsolated().whenSuccess { channel in
                self.upstream = channel
                for data in self.pending { channel.write(data, promise: nil) }
                self.pending = []
                channel.flush()
            }
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let upstream { upstream.write(data, promise: nil) } else { pending.append(data) }
    }
    func channelReadComplete(context: ChannelHandlerContext) { upstream?.flush() }
    func channelInactive(context: ChannelHandlerContext) { upstream?.close(promise: nil) }
}

let args = CommandLine.arguments
let port = Int(args[1])!, upstreamPort = Int(args[2])!
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let server = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ClientSide(upstreamPort: upstreamPort)) } }
    .bind(host: "127.0.0.1", port: port).wait()
try server.closeFuture.wait()
