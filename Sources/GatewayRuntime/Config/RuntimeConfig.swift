import NIOConcurrencyHelpers
import Atomics
import Crypto
import Domain
import Foundation
import NIOCore

/// SHA-256 of a key as four words: a cheap dictionary key.
struct KeyDigest: Hashable, Sendable {
    var a: UInt64, b: UInt64, c: UInt64, d: UInt64

    init(_ digest: SHA256.Digest) {
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        digest.withUnsafeBytes { raw in
            words = (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
        (a, b, c, d) = words
    }

    init?(hex: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = Self.nibble(high), let l = Self.nibble(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        guard bytes.count == 32 else { return nil }
        (a, b, c, d) = bytes.withUnsafeBytes { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x57
        case 0x41...0x46: c - 0x37
        default: nil
        }
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
    var id: String
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
        let routes = config.routes.enumerated().map { CompiledRoute(index: Int32($0.offset), route: $0.element, targets: targets) }
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
        for key in config.keys {
            guard let digest = KeyDigest(hex: key.hash) else { continue }
            keys[digest] = KeyEntry(
                application: application(key.applicationID), applicationID: key.applicationID.uuidString.lowercased(), tenantID: key.tenantID,
                prefix: key.prefix, status: key.status, expiresAt: key.expiresAt.map { Int64($0.timeIntervalSince1970) })
        }
        let plans = Dictionary(uniqueKeysWithValues: config.plans.map { ($0.id, $0) })
        let now = NIODeadline.now().uptimeNanoseconds
        let unix = Int64(Date().timeIntervalSince1970)
        var subscriptions: [SubscriptionKey: SubscriptionEntry] = [:]
        var live: Set<UUID> = []
        for subscription in config.subscriptions {
            guard let route = routeIndex[subscription.versionID] else { continue }
            var limiter: SubscriptionLimiter?
            if subscription.state == .active, let plan = plans[subscription.planID] {
                limiter = limiters.limiter(for: subscription.id)
                limiter!.configure(plan, now: now, unixSeconds: unix)
                live.insert(subscription.id)
            }
            let key = SubscriptionKey(route: route, application: application(subscription.applicationID))
            // An active subscription wins over a pending or suspended one of the same pair.
            if let existing = subscriptions[key], existing.state == .active { continue }
            subscriptions[key] = SubscriptionEntry(id: subscription.id.uuidString.lowercased(), state: subscription.state, limiter: limiter)
        }
        limiters.retain(only: live)
        return RuntimeConfig(revision: config.revision, generatedAt: config.generatedAt, routes: routes, keys: keys, subscriptions: subscriptions)
    }
}
