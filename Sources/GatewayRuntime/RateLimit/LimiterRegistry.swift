import NIOCore
import Domain
import Atomics
import Foundation
import NIOConcurrencyHelpers

/// One limiter per active subscription for the life of the process, so buckets and quota counts
/// survive config reloads.
final class LimiterRegistry: Sendable {
    private let limiters = NIOLockedValueBox<[UUID: SubscriptionLimiter]>([:])

    func limiter(for subscription: UUID) -> SubscriptionLimiter {
        limiters.withLockedValue { table in
            if let existing = table[subscription] { return existing }
            let limiter = SubscriptionLimiter(subscriptionID: subscription)
            table[subscription] = limiter
            return limiter
        }
    }

    /// The limiters of exactly these subscriptions (one lock for the whole configuration);
    /// limiters of subscriptions no longer active are dropped.
    func limiters(for subscriptions: [UUID]) -> [UUID: SubscriptionLimiter] {
        limiters.withLockedValue { table in
            var next: [UUID: SubscriptionLimiter] = [:]
            next.reserveCapacity(subscriptions.count)
            for id in subscriptions { next[id] = table[id] ?? SubscriptionLimiter(subscriptionID: id) }
            table = next
            return next
        }
    }

    /// Forgets the limiters of subscriptions that are no longer active.
    func drop(_ subscriptions: [UUID]) {
        guard !subscriptions.isEmpty else { return }
        limiters.withLockedValue { table in
            for id in subscriptions { table[id] = nil }
        }
    }

    /// The limiters of these subscriptions whose usage totals were never loaded (new ones).
    func needingTotals(_ subscriptions: [UUID]) -> [SubscriptionLimiter] {
        let found = limiters.withLockedValue { table in subscriptions.compactMap { table[$0] } }
        return found.filter(\.needsTotals)
    }

    var all: [SubscriptionLimiter] { limiters.withLockedValue { Array($0.values) } }
}
