import NIOConcurrencyHelpers
import Atomics
import Domain
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Active health checks: every target of a route with a health-check path is probed with
/// `GET path` at the route's interval; a target answering anything but 2xx/3xx (or nothing
/// within the timeout) leaves the rotation until a probe succeeds. Also sweeps idle upstream
/// connections.
struct ActiveHealthChecker: Service {
    let shared: GatewayShared
    let group: any EventLoopGroup
    let logger: Logger

    struct Probe: Hashable {
        var target: String
        var path: String
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            var lastRun: [Probe: ContinuousClock.Instant] = [:]
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                for pool in shared.pools.all { pool.sweepOnItsLoop() }
                let config = shared.config.config
                var due: [(Probe, UpstreamTarget, RoutingConfig.HealthCheck)] = []
                var seen: Set<Probe> = []
                for route in config.routes where route.route.state != .retired {
                    let check = route.route.routing.healthCheck
                    guard let path = check.path else { continue }
                    for target in route.balancer.targets {
                        let probe = Probe(target: target.key, path: path)
                        guard seen.insert(probe).inserted else { continue }
                        if let last = lastRun[probe], ContinuousClock.now - last < .seconds(check.intervalSeconds) { continue }
                        lastRun[probe] = .now
                        due.append((probe, target, check))
                    }
                }
                await withTaskGroup(of: Void.self) { tasks in
                    for (probe, target, check) in due {
                        tasks.addTask {
                            let healthy = await Self.probe(target: target, path: probe.path, timeout: .milliseconds(Int64(check.timeoutMs)), group: group)
                            if healthy != target.isActivelyHealthy {
                                logger.notice(healthy ? "Upstream target healthy again" : "Upstream target failed its health check",
                                    metadata: ["target": "\(target.key)", "path": "\(probe.path)"])
                            }
                            target.setActiveHealth(healthy)
                        }
                    }
                }
            }
        }
    }

    /// One `GET` with `Connection: close`; healthy when the status is below 400.
    static func probe(target: UpstreamTarget, path: String, timeout: TimeAmount, group: any EventLoopGroup) async -> Bool {
        guard !target.tls else { return await tcpProbe(target: target, timeout: timeout, group: group) }
        do {
            let eventLoop = group.next()
            let promise = eventLoop.makePromise(of: Int.self)
            let channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(StatusLineCollector(promise: promise)) }
                }
                .connect(host: target.host, port: target.port).get()
            let request = "GET \(path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: portico-health\r\nConnection: close\r\n\r\n"
            channel.writeAndFlush(ByteBuffer(string: request), promise: nil)
            eventLoop.scheduleTask(in: timeout) { promise.fail(ChannelError.connectTimeout(timeout)) }
            let status = try await promise.futureResult.get()
            channel.close(promise: nil)
            return status < 400
        } catch {
            return false
        }
    }

    /// For https targets a TCP connect stands in for the request.
    static func tcpProbe(target: UpstreamTarget, timeout: TimeAmount, group: any EventLoopGroup) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: group).connectTimeout(timeout).connect(host: target.host, port: target.port).get()
            channel.close(promise: nil)
            return true
        } catch {
            return false
        }
    }
}

/// Reads just enough of a response to know its status.
final class StatusLineCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<Int>
    private var buffer = ByteBuffer()

    init(promise: EventLoopPromise<Int>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer.writeBuffer(&bytes)
        if buffer.readableBytes >= 12, let line = buffer.getString(at: buffer.readerIndex, length: 12), line.hasPrefix("HTTP/1."),
            let status = Int(line.suffix(3))
        {
            promise.succeed(status)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
    }
}
