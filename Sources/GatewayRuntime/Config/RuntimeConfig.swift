import NIOConcurrencyHelpers
import Atomics
import Crypto
import Domain
import Foundation
import NIOCore

/// The key index is keyed by the SHA-256 of the key.
typealias KeyDigest = KeyHash

extension KeyHash {
    init(_ digest: SHA256.Digest) {
        self = digest.withUnsafeBytes { KeyHash(bytes: $0)! }
    }
}

struct KeyEntry: Sendable {
    var application: Int32
    var applicationID: UUID
    var tenantID: UUID
    var prefix: String
    var status: KeyStatus
    /// Unix seconds.
    var expiresAt: Int64?
    /// Unix seconds after which a revoked key answers like an unknown one.
    var forgottenAt: Int64?
}

struct SubscriptionKey: Hashable, Sendable {
    var route: Int32
    var application: Int32
}

struct SubscriptionEntry: Sendable {
    var id: UUID
    var state: SubscriptionState
    var limiter: SubscriptionLimiter?
}

/// The compiled, immutable configuration every request reads without locks. A new revision
/// builds a new instance; the holder swaps the reference atomically.
final class RuntimeConfig: Sendable {
    let revision: Int64
    let generatedAt: Date
    let routes: [CompiledRoute]
    let table: RouteTable
    let keys: [KeyDigest: KeyEntry]
    let subscriptions: [SubscriptionKey: SubscriptionEntry]
    /// The snapshot this was compiled from: the next compile reuses every section that did not change.
    let source: GatewayConfig?
    /// Application ids → the small numbers keys and subscriptions are joined by. Only grows, so
    /// sections reused from an older compile keep meaning the same applications.
    let applications: [UUID: Int32]

    init(
        revision: Int64, generatedAt: Date, routes: [CompiledRoute], table: RouteTable? = nil, keys: [KeyDigest: KeyEntry],
        subscriptions: [SubscriptionKey: SubscriptionEntry], source: GatewayConfig? = nil, applications: [UUID: Int32] = [:]
    ) {
        self.revision = revision
        self.generatedAt = generatedAt
        self.routes = routes
        self.table = table ?? RouteTable(routes: routes)
        self.keys = keys
        self.subscriptions = subscriptions
        self.source = source
        self.applications = applications
    }

    static let empty = RuntimeConfig(revision: 0, generatedAt: Date(timeIntervalSince1970: 0), routes: [], keys: [:], subscriptions: [:])

    /// Compiles a validated snapshot. Targets and limiters are shared with the previous revision
    /// (by identity), so health, pools, buckets and quota counters carry over. Sections equal to
    /// the previous snapshot's (routes, keys, subscriptions with their plans) are taken over from
    /// `previous` as they are: a reload after one revoked key rebuilds the key index only. The
    /// loader hands out the same arrays for unchanged sections, so the comparisons are cheap.
    /// With `changes` from a delta load whose base is what `previous` was compiled from, the key
    /// and subscription indexes are patched with the changed records instead of built again.
    static func compile(
        _ config: GatewayConfig, previous: RuntimeConfig? = nil, changes: GatewayConfigLoader.Changes? = nil, targets: TargetRegistry,
        limiters: LimiterRegistry
    ) -> RuntimeConfig {
        let before = previous?.source

        let routes: [CompiledRoute]
        let table: RouteTable?
        if let previous, let before, before.routes == config.routes {
            routes = previous.routes
            table = previous.table
        } else {
            // Routes that did not change keep their compiled form (a reload usually touches one).
            var urls: [String: UpstreamURL?] = [:]
            let earlier = previous?.routes ?? []
            routes = config.routes.enumerated().map { offset, route in
                if offset < earlier.count, earlier[offset].route == route { return earlier[offset] }
                return CompiledRoute(index: Int32(offset), route: route, targets: targets, urls: &urls)
            }
            table = nil
        }

        var applications = previous?.applications ?? [:]
        func application(_ id: UUID) -> Int32 {
            if let index = applications[id] { return index }
            let index = Int32(applications.count)
            applications[id] = index
            return index
        }

        func keyEntry(_ key: GatewayConfig.Key) -> KeyEntry {
            let index = application(key.applicationID)
            return KeyEntry(
                application: index, applicationID: key.applicationID, tenantID: key.tenantID, prefix: key.prefix, status: key.status,
                expiresAt: key.expiresAt.map { Int64($0.timeIntervalSince1970) },
                forgottenAt: key.revokedAt.map { Int64($0.timeIntervalSince1970) + Int64(GatewayConfigLoader.revokedKeyDays) * 86_400 })
        }
        let keys: [KeyDigest: KeyEntry]
        if let previous, let before, before.keys == config.keys {
            keys = previous.keys
        } else if let previous, let before, let change = changes?.keys, before.keys == change.base {
            var patched = previous.keys
            for key in change.removed { patched[key.hash] = nil }
            for key in change.added { patched[key.hash] = keyEntry(key) }
            keys = patched
        } else {
            var built: [KeyDigest: KeyEntry] = [:]
            built.reserveCapacity(config.keys.count)
            for key in config.keys { built[key.hash] = keyEntry(key) }
            keys = built
        }

        let subscriptions: [SubscriptionKey: SubscriptionEntry]
        // The subscription index is keyed by route number: it stays valid while every earlier route
        // keeps its number (versions are ordered by their time-ordered ids, so a new one comes last).
        let routeNumbersKept = before.map { before in
            before.routes.count <= config.routes.count && zip(before.routes, config.routes).allSatisfy { $0.versionID == $1.versionID }
        } ?? false
        // Where a subscription goes in the index, and its entry (an active one with a plan gets
        // its limiter, configured with the plan). An active subscription wins over a pending or
        // suspended one of the same pair (the database keeps one live subscription per pair).
        // Lazy: a reload that reuses the index as it is needs none of this.
        lazy var plans = Dictionary(uniqueKeysWithValues: config.plans.map { ($0.id, $0) })
        lazy var routeIndex = Dictionary(uniqueKeysWithValues: routes.map { ($0.route.versionID, $0.index) })
        let now = NIODeadline.now().uptimeNanoseconds
        let unix = Int64(Date().timeIntervalSince1970)
        func place(_ subscription: GatewayConfig.Subscription, limiter found: SubscriptionLimiter?, in table: inout [SubscriptionKey: SubscriptionEntry]) {
            guard let route = routeIndex[subscription.versionID] else { return }
            var limiter: SubscriptionLimiter?
            if subscription.state == .active, let plan = plans[subscription.planID], let found {
                found.configure(plan, now: now, unixSeconds: unix)
                limiter = found
            }
            let key = SubscriptionKey(route: route, application: application(subscription.applicationID))
            if let existing = table[key], existing.state == .active, existing.id != subscription.id { return }
            table[key] = SubscriptionEntry(id: subscription.id, state: subscription.state, limiter: limiter)
        }
        func needsLimiter(_ subscription: GatewayConfig.Subscription) -> Bool { subscription.state == .active && plans[subscription.planID] != nil }

        if let previous, let before, routeNumbersKept, before.subscriptions == config.subscriptions, before.plans == config.plans {
            subscriptions = previous.subscriptions
        } else if let previous, let before, routeNumbersKept, before.plans == config.plans, let change = changes?.subscriptions,
            before.subscriptions == change.base
        {
            // Only the changed subscriptions: their old entries leave (with their limiters unless
            // they stay active), the new ones come in.
            var patched = previous.subscriptions
            for old in change.removed {
                guard let route = routeIndex[old.versionID] else { continue }
                let key = SubscriptionKey(route: route, application: application(old.applicationID))
                if patched[key]?.id == old.id { patched[key] = nil }
            }
            let stillActive = Set(change.added.lazy.filter { $0.state == .active }.map(\.id))
            limiters.drop(change.removed.map(\.id).filter { !stillActive.contains($0) })
            for subscription in change.added {
                place(subscription, limiter: needsLimiter(subscription) ? limiters.limiter(for: subscription.id) : nil, in: &patched)
            }
            subscriptions = patched
        } else {
            let limiterTable = limiters.limiters(for: config.subscriptions.filter(needsLimiter).map(\.id))
            var built: [SubscriptionKey: SubscriptionEntry] = [:]
            built.reserveCapacity(config.subscriptions.count)
            for subscription in config.subscriptions { place(subscription, limiter: limiterTable[subscription.id], in: &built) }
            subscriptions = built
        }
        return RuntimeConfig(
            revision: config.revision, generatedAt: config.generatedAt, routes: routes, table: table, keys: keys, subscriptions: subscriptions,
            source: config, applications: applications)
    }
}
