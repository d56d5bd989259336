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

    /// Forgets limiters of subscriptions that are no longer active (after flushing them: see QuotaStore).
    func retain(only live: Set<UUID>) {
        limiters.withLockedValue { table in
            for id in table.keys where !live.contains(id) { table[id] = nil }
        }
    }

    var all: [SubscriptionLimiter] { limiters.withLockedValue { Array($0.values) } }
}
