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

/// One upstream pool, metrics shard, call-log shard and buffer recycler per event loop, created
/// before the listeners start.
final class PoolDirectory: @unchecked Sendable {
    // @unchecked: the dictionary is filled before any connection exists and never changes after;
    // each pool is only used on its own event loop.
    private var loops: [ObjectIdentifier: LoopResources] = [:]

    struct LoopResources {
        let pool: UpstreamPool
        let metrics: GatewayMetrics.Shard
        let logs: CallLogBuffer.Shard
        let buffers: BufferRecycler
    }

    func register(_ pool: UpstreamPool, metrics: GatewayMetrics.Shard, logs: CallLogBuffer.Shard) {
        loops[ObjectIdentifier(pool.eventLoop)] = LoopResources(pool: pool, metrics: metrics, logs: logs, buffers: BufferRecycler())
    }

    func resources(for eventLoop: any EventLoop) -> LoopResources {
        loops[ObjectIdentifier(eventLoop)]!
    }

    var all: [UpstreamPool] { loops.values.map(\.pool) }
}
