import NIOCore
import Atomics
import Domain
import Foundation
import NIOConcurrencyHelpers

/// What the limiter decided for one request, with the numbers for the `RateLimit-*` headers.
struct LimitDecision {
    enum Refusal { case rate, quota }

    var refusal: Refusal?
    var limit: Int64
    var remaining: Int64
    var reset: Int64
    var retryAfter: Int64
    /// False for plans without any limit: then no `RateLimit-*` headers are sent.
    var hasPolicy: Bool

    static let unlimited = LimitDecision(refusal: nil, limit: 0, remaining: 0, reset: 0, retryAfter: 0, hasPolicy: false)
}

/// Rate limit (token buckets per second and minute) and quota (calendar-aligned UTC day and
/// month) of one subscription. One lock per subscription: a request takes from every window or
/// from none, so exactly the configured number passes per window however many event loops race.
final class SubscriptionLimiter: @unchecked Sendable {
    // @unchecked: every stored property below `lock` is only touched while holding it.
    private let lock = NIOLock()
    let subscriptionID: UUID
    private var second: TokenBucket?
    private var minute: TokenBucket?
    private var day: QuotaCounter?
    private var month: QuotaCounter?
    /// The database's usage totals were applied once; after that the periodic flush keeps them.
    private var totalsLoaded = false

    struct QuotaCounter {
        var limit: Int64?
        var period: Int64
        /// Usage known from the database (all gateways) plus this gateway's increments.
        var used: Int64
        /// Increments not yet written to the database.
        var pending: Int64
    }

    init(subscriptionID: UUID) {
        self.subscriptionID = subscriptionID
    }

    /// Applies the plan's limits; existing counters keep their state.
    func configure(_ plan: GatewayConfig.Plan, now: UInt64, unixSeconds: Int64) {
        let today = CalendarPeriod.day(unixSeconds: unixSeconds)
        let thisMonth = CalendarPeriod.month(day: today)
        lock.withLock {
            second = Self.bucket(second, limit: plan.rateLimitPerSecond, window: 1_000_000_000, now: now)
            minute = Self.bucket(minute, limit: plan.rateLimitPerMinute, window: 60_000_000_000, now: now)
            if day == nil { day = QuotaCounter(limit: nil, period: today, used: 0, pending: 0) }
            if month == nil { month = QuotaCounter(limit: nil, period: thisMonth, used: 0, pending: 0) }
            day!.limit = plan.quotaPerDay
            month!.limit = plan.quotaPerMonth
        }
    }

    private static func bucket(_ existing: TokenBucket?, limit: Int?, window: UInt64, now: UInt64) -> TokenBucket? {
        guard let limit, limit > 0 else { return nil }
        if let existing {
            return existing.capacity == Int64(limit) ? existing : existing.resized(capacity: Int64(limit), windowNanos: window, now: now)
        }
        return TokenBucket(capacity: Int64(limit), windowNanos: window, now: now)
    }

    /// Takes one request from every window, or refuses without taking anything.
    func acquire(now: UInt64, unixSeconds: Int64) -> LimitDecision {
        let today = CalendarPeriod.day(unixSeconds: unixSeconds)
        return lock.withLock {
            second?.refill(now: now)
            minute?.refill(now: now)
            roll(&day, to: today)
            roll(&month, to: CalendarPeriod.month(day: today))

            if let bucket = second, !bucket.hasToken {
                return refusal(.rate, limit: bucket.capacity, retryAfter: Int64(bucket.secondsUntilNextToken), reset: Int64(bucket.secondsUntilFull))
            }
            if let bucket = minute, !bucket.hasToken {
                return refusal(.rate, limit: bucket.capacity, retryAfter: Int64(bucket.secondsUntilNextToken), reset: Int64(bucket.secondsUntilFull))
            }
            if let counter = day, let limit = counter.limit, counter.used >= limit {
                let wait = CalendarPeriod.secondsToNextDay(unixSeconds: unixSeconds)
                return refusal(.quota, limit: limit, retryAfter: wait, reset: wait)
            }
            if let counter = month, let limit = counter.limit, counter.used >= limit {
                let wait = CalendarPeriod.secondsToNextMonth(unixSeconds: unixSeconds)
                return refusal(.quota, limit: limit, retryAfter: wait, reset: wait)
            }
            second?.take()
            minute?.take()
            day?.used += 1
            day?.pending += 1
            month?.used += 1
            month?.pending += 1
            return headline(unixSeconds: unixSeconds)
        }
    }

    private func refusal(_ kind: LimitDecision.Refusal, limit: Int64, retryAfter: Int64, reset: Int64) -> LimitDecision {
        LimitDecision(refusal: kind, limit: limit, remaining: 0, reset: reset, retryAfter: retryAfter, hasPolicy: true)
    }

    /// The window closest to refusing, for the headers of an allowed request.
    private func headline(unixSeconds: Int64) -> LimitDecision {
        var best: LimitDecision?
        func consider(limit: Int64, remaining: Int64, reset: Int64) {
            if best == nil || remaining < best!.remaining {
                best = LimitDecision(refusal: nil, limit: limit, remaining: remaining, reset: reset, retryAfter: 0, hasPolicy: true)
            }
        }
        if let bucket = second { consider(limit: bucket.capacity, remaining: bucket.remaining, reset: Int64(bucket.secondsUntilFull)) }
        if let bucket = minute { consider(limit: bucket.capacity, remaining: bucket.remaining, reset: Int64(bucket.secondsUntilFull)) }
        if let counter = day, let limit = counter.limit {
            consider(limit: limit, remaining: max(0, limit - counter.used), reset: CalendarPeriod.secondsToNextDay(unixSeconds: unixSeconds))
        }
        if let counter = month, let limit = counter.limit {
            consider(limit: limit, remaining: max(0, limit - counter.used), reset: CalendarPeriod.secondsToNextMonth(unixSeconds: unixSeconds))
        }
        return best ?? .unlimited
    }

    private func roll(_ counter: inout QuotaCounter?, to period: Int64) {
        guard var value = counter, value.period != period else { return }
        // A new calendar period: pending increments of the old one are dropped with it (they are
        // flushed every few seconds, so at most that much usage of a finished period is lost).
        value.period = period
        value.used = 0
        value.pending = 0
        counter = value
    }

    // MARK: Persistence (QuotaStore)

    struct Pending {
        var day: Int64
        var dayCount: Int64
        var month: Int64
        var monthCount: Int64
    }

    /// Takes the unflushed increments.
    func takePending() -> Pending? {
        lock.withLock {
            guard let d = day, let m = month, d.pending > 0 || m.pending > 0 else { return nil }
            day!.pending = 0
            month!.pending = 0
            return Pending(day: d.period, dayCount: d.pending, month: m.period, monthCount: m.pending)
        }
    }

    /// Puts back increments whose write failed.
    func restorePending(_ pending: Pending) {
        lock.withLock {
            if day?.period == pending.day { day!.pending += pending.dayCount }
            if month?.period == pending.month { month!.pending += pending.monthCount }
        }
    }

    /// Sets the usage to the database totals (which include everything flushed), plus what
    /// this gateway counted since.
    func applyTotals(dayPeriod: Int64, dayTotal: Int64?, monthPeriod: Int64, monthTotal: Int64?) {
        lock.withLock {
            if let dayTotal, day?.period == dayPeriod { day!.used = dayTotal + day!.pending }
            if let monthTotal, month?.period == monthPeriod { month!.used = monthTotal + month!.pending }
            totalsLoaded = true
        }
    }

    /// No usage recorded in the database for the current periods.
    func markTotalsLoaded() {
        lock.withLock { totalsLoaded = true }
    }

    var needsTotals: Bool { lock.withLock { !totalsLoaded } }
}
