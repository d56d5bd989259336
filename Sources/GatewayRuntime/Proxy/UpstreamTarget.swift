import NIOConcurrencyHelpers
import Atomics
import Domain
import NIOCore

/// One upstream server (scheme, host, port), shared by every route and config revision that
/// names it, so its health, connection counts and pooled connections survive config reloads.
final class UpstreamTarget: Sendable {
    let key: String
    let host: String
    let port: Int
    let tls: Bool
    /// "host:port" as sent in `Host`.
    let hostHeader: String

    /// Passive health: consecutive failures and the uptime (ns) until which the target is ejected.
    private let consecutiveFailures = ManagedAtomic<Int>(0)
    private let ejectedUntil = ManagedAtomic<UInt64>(0)
    /// Active health: false while the periodic check fails.
    private let activeHealthy = ManagedAtomic<Bool>(true)
    /// Requests in flight (least-connections balancing).
    let inFlight = ManagedAtomic<Int>(0)

    init(url: UpstreamURL) {
        key = "\(url.tls ? "https" : "http")://\(url.host):\(url.port)"
        host = url.host
        port = url.port
        tls = url.tls
        hostHeader = (url.tls && url.port == 443) || (!url.tls && url.port == 80) ? url.host : "\(url.host):\(url.port)"
    }

    func isHealthy(now: UInt64) -> Bool {
        activeHealthy.load(ordering: .relaxed) && ejectedUntil.load(ordering: .relaxed) <= now
    }

    func recordSuccess() {
        if consecutiveFailures.load(ordering: .relaxed) != 0 { consecutiveFailures.store(0, ordering: .relaxed) }
    }

    /// Counts a failure; after `threshold` in a row the target is ejected for `ejectNanos`.
    func recordFailure(threshold: Int, ejectNanos: UInt64, now: UInt64) {
        let failures = consecutiveFailures.loadThenWrappingIncrement(ordering: .relaxed) + 1
        if failures >= threshold {
            ejectedUntil.store(now + ejectNanos, ordering: .relaxed)
            consecutiveFailures.store(0, ordering: .relaxed)
        }
    }

    func setActiveHealth(_ healthy: Bool) { activeHealthy.store(healthy, ordering: .relaxed) }
    var isActivelyHealthy: Bool { activeHealthy.load(ordering: .relaxed) }
    var isEjected: Bool { ejectedUntil.load(ordering: .relaxed) > NIODeadline.now().uptimeNanoseconds }
}

/// Keeps one `UpstreamTarget` per scheme://host:port for the life of the process.
final class TargetRegistry: Sendable {
    private let targets = NIOLockedValueBoxCompat<[String: UpstreamTarget]>([:])

    func target(for url: UpstreamURL) -> UpstreamTarget {
        let candidate = UpstreamTarget(url: url)
        return targets.withLockedValue { table in
            if let existing = table[candidate.key] { return existing }
            table[candidate.key] = candidate
            return candidate
        }
    }

    var all: [UpstreamTarget] { targets.withLockedValue { Array($0.values) } }
}
