import NIOConcurrencyHelpers
import Domain
import Atomics
import NIOCore

/// Bounds retries so a failing upstream is not hit with a multiple of the traffic: retries may
/// add at most `ratio` of the requests of the last window, plus `minimumPerSecond`.
final class RetryBudget: Sendable {
    let ratio: Double
    let minimumPerSecond: Int
    private let requests = ManagedAtomic<Int>(0)
    private let retries = ManagedAtomic<Int>(0)
    private let windowStart = ManagedAtomic<UInt64>(0)

    init(ratio: Double = 0.2, minimumPerSecond: Int = 10) {
        self.ratio = ratio
        self.minimumPerSecond = minimumPerSecond
    }

    func recordRequest(now: UInt64) {
        rollWindow(now: now)
        requests.wrappingIncrement(ordering: .relaxed)
    }

    func allowRetry(now: UInt64) -> Bool {
        rollWindow(now: now)
        let allowed = Int(Double(requests.load(ordering: .relaxed)) * ratio) + minimumPerSecond
        if retries.loadThenWrappingIncrement(ordering: .relaxed) < allowed { return true }
        retries.wrappingDecrement(ordering: .relaxed)
        return false
    }

    private func rollWindow(now: UInt64) {
        let start = windowStart.load(ordering: .relaxed)
        if now &- start > 1_000_000_000, windowStart.compareExchange(expected: start, desired: now, ordering: .relaxed).exchanged {
            requests.store(0, ordering: .relaxed)
            retries.store(0, ordering: .relaxed)
        }
    }
}
