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
    var applicationID: String
    var tenantID: UUID
    var prefix: String
    var status: KeyStatus
    /// Unix seconds.
    var expiresAt: Int64?
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

    init(revision: Int64, generatedAt: Date, routes: [CompiledRoute], keys: [KeyDigest: KeyEntry], subscriptions: [SubscriptionKey: SubscriptionEntry]) {
        self.revision = revision
        self.generatedAt = generatedAt
        self.routes = routes
        self.table = RouteTable(routes: routes)
        self.keys = keys
        self.subscriptions = subscriptions
    }

    static let empty = RuntimeConfig(revision: 0, generatedAt: Date(timeIntervalSince1970: 0), routes: [], keys: [:], subscriptions: [:])

    /// Compiles a validated snapshot. Targets and limiters are shared with the previous revision
    /// (by identity), so health, pools, buckets and quota counters carry over.
    static func compile(_ config: GatewayConfig, targets: TargetRegistry, limiters: LimiterRegistry) -> RuntimeConfig {
        var urls: [String: UpstreamURL?] = [:]
        let routes = config.routes.enumerated().map {
            CompiledRoute(index: Int32($0.offset), route: $0.element, targets: targets, urls: &urls)
        }
        let routeIndex = Dictionary(uniqueKeysWithValues: routes.map { ($0.route.versionID, $0.index) })
        var applications: [UUID: Int32] = [:]
        func application(_ id: UUID) -> Int32 {
            if let index = applications[id] { return index }
            let index = Int32(applications.count)
            applications[id] = index
            return index
        }
        var keys: [KeyDigest: KeyEntry] = [:]
        keys.reserveCapacity(config.keys.count)
        var applicationNames: [Int32: String] = [:]
        for key in config.keys {
            let index = application(key.applicationID)
            let name: String
            if let known = applicationNames[index] {
                name = known
            } else {
                name = key.applicationID.uuidString.lowercased()
                applicationNames[index] = name
            }
            keys[key.hash] = KeyEntry(
                application: index, applicationID: name, tenantID: key.tenantID, prefix: key.prefix, status: key.status,
                expiresAt: key.expiresAt.map { Int64($0.timeIntervalSince1970) })
        }
        let plans = Dictionary(uniqueKeysWithValues: config.plans.map { ($0.id, $0) })
        let now = NIODeadline.now().uptimeNanoseconds
        let unix = Int64(Date().timeIntervalSince1970)
        let active = config.subscriptions.filter { $0.state == .active && plans[$0.planID] != nil }.map(\.id)
        let limiterTable = limiters.limiters(for: active)
        var subscriptions: [SubscriptionKey: SubscriptionEntry] = [:]
        subscriptions.reserveCapacity(config.subscriptions.count)
        for subscription in config.subscriptions {
            guard let route = routeIndex[subscription.versionID] else { continue }
            var limiter: SubscriptionLimiter?
            if subscription.state == .active, let plan = plans[subscription.planID], let found = limiterTable[subscription.id] {
                found.configure(plan, now: now, unixSeconds: unix)
                limiter = found
            }
            let key = SubscriptionKey(route: route, application: application(subscription.applicationID))
            // An active subscription wins over a pending or suspended one of the same pair.
            if let existing = subscriptions[key], existing.state == .active { continue }
            subscriptions[key] = SubscriptionEntry(id: subscription.id, state: subscription.state, limiter: limiter)
        }
        return RuntimeConfig(revision: config.revision, generatedAt: config.generatedAt, routes: routes, keys: keys, subscriptions: subscriptions)
    }
}
