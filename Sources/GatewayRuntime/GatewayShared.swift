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
        self.logs = CallLogBuffer(capacity: settings.logBufferCapacity)
        self.metrics = GatewayMetrics()
        self.retryBudget = RetryBudget()
        self.pools = pools
    }
}

/// One upstream pool and one metrics shard per event loop, created before the listeners start.
final class PoolDirectory: @unchecked Sendable {
    // @unchecked: the dictionary is filled before any connection exists and never changes after;
    // each pool is only used on its own event loop.
    private var pools: [ObjectIdentifier: (UpstreamPool, GatewayMetrics.Shard)] = [:]

    func register(_ pool: UpstreamPool, shard: GatewayMetrics.Shard) {
        pools[ObjectIdentifier(pool.eventLoop)] = (pool, shard)
    }

    func pool(for eventLoop: any EventLoop) -> (UpstreamPool, GatewayMetrics.Shard) {
        pools[ObjectIdentifier(eventLoop)]!
    }

    var all: [UpstreamPool] { pools.values.map(\.0) }
}
