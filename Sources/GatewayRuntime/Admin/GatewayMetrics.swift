import NIOCore
import Domain
import Atomics
import Foundation
import NIOConcurrencyHelpers

/// Prometheus counters and histograms of the data plane. Request counters are sharded per event
/// loop (each shard's lock is only contended by the scraper), gauges are atomics.
final class GatewayMetrics: Sendable {
    static let latencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    final class Shard: Sendable {
        struct Key: Hashable {
            var api: UUID?
            var status: Int
        }

        struct State {
            var requests: [Key: Int] = [:]
            /// Consecutive requests with the same API and status are counted here and folded into
            /// `requests` when another key comes (one comparison instead of a hash per request).
            var recentKey: Key?
            var recentCount = 0
            var latencyCounts = [Int](repeating: 0, count: GatewayMetrics.latencyBuckets.count + 1)
            var latencySum: Double = 0
            var latencyCount = 0
            var upstreamErrors: [String: Int] = [:]

            var allRequests: [Key: Int] {
                guard let recentKey else { return requests }
                var all = requests
                all[recentKey, default: 0] += recentCount
                return all
            }
        }

        let state = NIOLockedValueBox(State())

        func record(api: UUID?, status: Int, seconds: Double) {
            let key = Key(api: api, status: status)
            state.withLockedValue { state in
                if state.recentKey == key {
                    state.recentCount += 1
                } else {
                    if let recent = state.recentKey { state.requests[recent, default: 0] += state.recentCount }
                    state.recentKey = key
                    state.recentCount = 1
                }
                var bucket = 0
                while bucket < GatewayMetrics.latencyBuckets.count, seconds > GatewayMetrics.latencyBuckets[bucket] { bucket += 1 }
                state.latencyCounts[bucket] += 1
                state.latencySum += seconds
                state.latencyCount += 1
            }
        }

        func upstreamError(_ kind: String) {
            state.withLockedValue { $0.upstreamErrors[kind, default: 0] += 1 }
        }
    }

    private let shards = NIOLockedValueBox<[Shard]>([])
    let configRevision = ManagedAtomic<Int64>(0)
    /// Unix seconds of the config's generation time.
    let configGeneratedAt = ManagedAtomic<Int64>(0)
    let configLoadFailures = ManagedAtomic<Int>(0)
    let logsWritten = ManagedAtomic<Int>(0)
    let logsSpooled = ManagedAtomic<Int>(0)
    let logsReplayed = ManagedAtomic<Int>(0)
    let openConnections = ManagedAtomic<Int>(0)

    func makeShard() -> Shard {
        let shard = Shard()
        shards.withLockedValue { $0.append(shard) }
        return shard
    }

    /// The Prometheus text exposition.
    func render(logBuffer: CallLogBuffer, targets: [UpstreamTarget]) -> String {
        var requests: [Shard.Key: Int] = [:]
        var counts = [Int](repeating: 0, count: Self.latencyBuckets.count + 1)
        var sum = 0.0
        var total = 0
        var upstreamErrors: [String: Int] = [:]
        for shard in shards.withLockedValue({ $0 }) {
            shard.state.withLockedValue { state in
                requests.merge(state.allRequests, uniquingKeysWith: +)
                for index in counts.indices { counts[index] += state.latencyCounts[index] }
                sum += state.latencySum
                total += state.latencyCount
                upstreamErrors.merge(state.upstreamErrors, uniquingKeysWith: +)
            }
        }
        var out = "# HELP portico_gateway_requests_total Requests by API and status.\n# TYPE portico_gateway_requests_total counter\n"
        let label = { (api: UUID?) in api?.uuidString.lowercased() ?? "" }
        for (key, value) in requests.sorted(by: { (label($0.key.api), $0.key.status) < (label($1.key.api), $1.key.status) }) {
            out += "portico_gateway_requests_total{api=\"\(label(key.api))\",status=\"\(key.status)\"} \(value)\n"
        }
        out += "# HELP portico_gateway_request_duration_seconds Time from request head to the end of the response.\n"
        out += "# TYPE portico_gateway_request_duration_seconds histogram\n"
        var cumulative = 0
        for (index, bound) in Self.latencyBuckets.enumerated() {
            cumulative += counts[index]
            out += "portico_gateway_request_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        cumulative += counts[Self.latencyBuckets.count]
        out += "portico_gateway_request_duration_seconds_bucket{le=\"+Inf\"} \(cumulative)\n"
        out += "portico_gateway_request_duration_seconds_sum \(sum)\nportico_gateway_request_duration_seconds_count \(total)\n"
        out += "# HELP portico_gateway_upstream_errors_total Failed upstream attempts by kind.\n# TYPE portico_gateway_upstream_errors_total counter\n"
        for (kind, value) in upstreamErrors.sorted(by: { $0.key < $1.key }) {
            out += "portico_gateway_upstream_errors_total{kind=\"\(kind)\"} \(value)\n"
        }
        out += "# HELP portico_gateway_upstream_healthy Whether a target is in rotation (1) or ejected/failing checks (0).\n"
        out += "# TYPE portico_gateway_upstream_healthy gauge\n"
        for target in targets.sorted(by: { $0.key < $1.key }) {
            out += "portico_gateway_upstream_healthy{target=\"\(target.key)\"} \(target.isActivelyHealthy && !target.isEjected ? 1 : 0)\n"
        }
        let generated = configGeneratedAt.load(ordering: .relaxed)
        out += "# HELP portico_gateway_config_revision Revision of the configuration in use.\n# TYPE portico_gateway_config_revision gauge\n"
        out += "portico_gateway_config_revision \(configRevision.load(ordering: .relaxed))\n"
        out += "# HELP portico_gateway_config_age_seconds Seconds since the configuration in use was read from the database.\n"
        out += "# TYPE portico_gateway_config_age_seconds gauge\n"
        out += "portico_gateway_config_age_seconds \(generated == 0 ? -1 : Int64(Date().timeIntervalSince1970) - generated)\n"
        out += "# TYPE portico_gateway_config_load_failures_total counter\nportico_gateway_config_load_failures_total \(configLoadFailures.load(ordering: .relaxed))\n"
        out += "# HELP portico_gateway_call_logs_total Call records by outcome.\n# TYPE portico_gateway_call_logs_total counter\n"
        out += "portico_gateway_call_logs_total{outcome=\"written\"} \(logsWritten.load(ordering: .relaxed))\n"
        out += "portico_gateway_call_logs_total{outcome=\"spooled\"} \(logsSpooled.load(ordering: .relaxed))\n"
        out += "portico_gateway_call_logs_total{outcome=\"replayed\"} \(logsReplayed.load(ordering: .relaxed))\n"
        out += "portico_gateway_call_logs_total{outcome=\"dropped\"} \(logBuffer.dropped.load(ordering: .relaxed))\n"
        out += "# TYPE portico_gateway_call_log_buffer gauge\nportico_gateway_call_log_buffer \(logBuffer.count)\n"
        out += "# TYPE portico_gateway_open_connections gauge\nportico_gateway_open_connections \(openConnections.load(ordering: .relaxed))\n"
        return out
    }
}
