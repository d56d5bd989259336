import NIOCore
import NIOConcurrencyHelpers
import Atomics
import Domain
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

struct QuotaTotals: Sendable {
    var day: Int64?
    var month: Int64?
}

/// Persists quota usage: every few seconds each limiter's unflushed increments are added to
/// `quota_usage` and the totals (which include other gateways' usage) are read back. Usage of
/// newly seen subscriptions is loaded before a configuration that has them serves, so quotas
/// survive restarts.
struct QuotaStore: Service {
    let shared: GatewayShared
    let client: PostgresClient
    let interval: Duration
    let logger: Logger
    /// Flushes and loads run one at a time, so a load never overwrites usage a flush is adding.
    private let mutex = AsyncMutex()

    init(shared: GatewayShared, client: PostgresClient, interval: Duration, logger: Logger) {
        self.shared = shared
        self.client = client
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: interval)
                await flush()
            }
        } onGracefulShutdown: {}
        await flush()
    }

    func flush() async {
        await mutex.withLock { await flushNow() }
    }

    private func flushNow() async {
        let limiters = shared.limiters.all
        var taken: [(SubscriptionLimiter, SubscriptionLimiter.Pending)] = []
        for limiter in limiters {
            if let pending = limiter.takePending() { taken.append((limiter, pending)) }
        }
        guard !taken.isEmpty else { return }
        var ids: [UUID] = []
        var periods: [String] = []
        var days: [Int] = []
        var counts: [Int64] = []
        for (limiter, pending) in taken {
            if pending.dayCount > 0 {
                ids.append(limiter.subscriptionID)
                periods.append("day")
                days.append(Int(pending.day))
                counts.append(pending.dayCount)
            }
            if pending.monthCount > 0 {
                ids.append(limiter.subscriptionID)
                periods.append("month")
                days.append(Int(CalendarPeriod.firstDay(ofMonth: pending.month)))
                counts.append(pending.monthCount)
            }
        }
        let client = client
        let logger = logger
        let (idList, periodList, dayList, countList) = (ids, periods, days, counts)
        do {
            let totals = try await withDeadline(.seconds(3)) { () -> [UUID: QuotaTotals] in
            let rows = try await client.query(
                """
                INSERT INTO quota_usage (subscription_id, period, period_start, used)
                SELECT t.s, t.p, date '1970-01-01' + t.d::int, t.u
                FROM unnest(\(idList)::uuid[], \(periodList)::text[], \(dayList)::int8[], \(countList)::int8[]) AS t(s, p, d, u)
                WHERE EXISTS (SELECT 1 FROM subscriptions WHERE id = t.s)
                ON CONFLICT (subscription_id, period, period_start) DO UPDATE SET used = quota_usage.used + EXCLUDED.used, updated_at = now()
                RETURNING subscription_id, period, (period_start - date '1970-01-01')::int8, used
                """, logger: logger)
            var totals: [UUID: QuotaTotals] = [:]
            for try await (id, period, _, used) in rows.decode((UUID, String, Int64, Int64).self) {
                if period == "day" { totals[id, default: .init()].day = used } else { totals[id, default: .init()].month = used }
            }
            return totals
            }
            for (limiter, pending) in taken {
                let total = totals[limiter.subscriptionID]
                limiter.applyTotals(dayPeriod: pending.day, dayTotal: total?.day, monthPeriod: pending.month, monthTotal: total?.month)
            }
        } catch {
            for (limiter, pending) in taken { limiter.restorePending(pending) }
            logger.debug("Quota usage not written yet", metadata: ["error": "\(String(describing: error))"])
        }
    }

    /// Reads the current day's and month's totals of the config's active subscriptions that are new
    /// to this process; true
    /// when they were loaded (false while the database is unreachable).
    @discardableResult
    func loadTotals(_ config: GatewayConfig) async -> Bool {
        // Most reloads bring no new subscription: then there is nothing to wait for a running flush for.
        let active = config.subscriptions.filter { $0.state == .active }.map(\.id)
        if shared.limiters.needingTotals(active).isEmpty { return true }
        return await mutex.withLock { await loadTotalsNow(active) }
    }

    private func loadTotalsNow(_ active: [UUID]) async -> Bool {
        let unix = Int64(Date().timeIntervalSince1970)
        let today = CalendarPeriod.day(unixSeconds: unix)
        let month = CalendarPeriod.month(day: today)
        let monthStart = CalendarPeriod.firstDay(ofMonth: month)
        // Only limiters new to this process need the database's totals: the others have them
        // already and the periodic flush keeps them current.
        let pending = shared.limiters.needingTotals(active)
        guard !pending.isEmpty else { return true }
        let ids = pending.map(\.subscriptionID)
        let client = client
        let logger = logger
        do {
            let totals = try await withDeadline(.seconds(3)) { () -> [UUID: QuotaTotals] in
            let rows = try await client.query(
                """
                SELECT subscription_id, period, used FROM quota_usage
                WHERE subscription_id = ANY(\(ids)::uuid[])
                  AND ((period = 'day' AND period_start = date '1970-01-01' + \(Int(today))::int)
                    OR (period = 'month' AND period_start = date '1970-01-01' + \(Int(monthStart))::int))
                """, logger: logger)
            var totals: [UUID: QuotaTotals] = [:]
            for try await (id, period, used) in rows.decode((UUID, String, Int64).self) {
                if period == "day" { totals[id, default: .init()].day = used } else { totals[id, default: .init()].month = used }
            }
            return totals
            }
            for limiter in pending {
                if let total = totals[limiter.subscriptionID] {
                    limiter.applyTotals(dayPeriod: today, dayTotal: total.day, monthPeriod: month, monthTotal: total.month)
                } else {
                    limiter.markTotalsLoaded()
                }
            }
            return true
        } catch {
            logger.warning("Quota usage could not be loaded", metadata: ["error": "\(String(describing: error))"])
            return false
        }
    }
}
