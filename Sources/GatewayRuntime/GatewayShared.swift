import NIOConcurrencyHelpers
import Domain
import Atomics
import Foundation
import NIOCore

/// What every connection handler shares: the config, limits, log buffer, metrics, and the
/// per-event-loop upstream pools.
final class GatewayShared: Sendable {
    let config: ConfigHolder
    let targets: TargetRegistry
    let limiters: LimiterRegistry
    let logs: CallLogBuffer
    let metrics: GatewayMetrics
    let retryBudget: RetryBudget
    let pools: PoolDirectory
    let settings: GatewaySettings
    /// Set at shutdown: connections close after their current response.
    let draining = ManagedAtomic<Bool>(false)
    let activeConnections = ManagedAtomic<Int>(0)
    /// The config sync's LISTEN is in place: a change is picked up by its NOTIFY rather than the next poll.
    let listeningForChanges = ManagedAtomic<Bool>(false)

    init(settings: GatewaySettings, pools: PoolDirectory) {
        self.settings = settings
        self.config = ConfigHolder()
        self.targets = TargetRegistry()
        self.limiters = LimiterRegistry()
        // The configured capacity is the gateway's total, split evenly across the event loops' shards.
        self.logs = CallLogBuffer(
            capacity: max(CallLogBatch.targetRows, settings.logBufferCapacity / max(1, settings.threads)), gatewayID: settings.gatewayID)
        self.metrics = GatewayMetrics()
        self.retryBudget = RetryBudget()
        self.pools = pools
    }
}

/// One upstream pool, metrics shard, call-log shard and buffer recycler per loop (SwiftNIO event
/// loops and the epoll data plane's loops), created before the listeners start.
final class PoolDirectory: @unchecked Sendable {
    // @unchecked: filled before any connection exists and never changed after; each pool is
    // only used on its own loop.
    private var nioLoops: [ObjectIdentifier: LoopResources] = [:]
    private var otherLoops: [LoopResources] = []

    /// @unchecked: handed to the loop that owns it, and only used there.
    struct LoopResources: @unchecked Sendable {
        let pool: UpstreamPool
        let metrics: GatewayMetrics.Shard
        let logs: CallLogBuffer.Shard
        let buffers: BufferRecycler
    }

    func register(_ eventLoop: any EventLoop, pool: UpstreamPool, metrics: GatewayMetrics.Shard, logs: CallLogBuffer.Shard) {
        nioLoops[ObjectIdentifier(eventLoop)] = LoopResources(pool: pool, metrics: metrics, logs: logs, buffers: BufferRecycler())
    }

    /// Resources of a loop that is not a SwiftNIO event loop.
    func add(pool: UpstreamPool, metrics: GatewayMetrics.Shard, logs: CallLogBuffer.Shard) -> LoopResources {
        let resources = LoopResources(pool: pool, metrics: metrics, logs: logs, buffers: BufferRecycler())
        otherLoops.append(resources)
        return resources
    }

    func resources(for eventLoop: any EventLoop) -> LoopResources {
        nioLoops[ObjectIdentifier(eventLoop)]!
    }

    var all: [UpstreamPool] { nioLoops.values.map(\.pool) + otherLoops.map(\.pool) }
}
