import Domain
import Foundation
import Testing

@testable import GatewayRuntime

/// Reloads reuse the sections of the previous compile that did not change; what they reuse must
/// still join up with what was rebuilt (keys and subscriptions meet by application number).
@Suite struct RuntimeConfigCompileTests {
    let tenant = UUID()
    let plan = GatewayConfig.Plan(id: UUID(), rateLimitPerSecond: 10, rateLimitPerMinute: nil, quotaPerDay: nil, quotaPerMonth: nil)

    func route(_ basePath: String, retries: Int = 1) -> GatewayConfig.Route {
        GatewayConfig.Route(
            versionID: UUID(), apiID: UUID(), tenantID: tenant, apiName: "API", version: "v1", host: nil, basePath: basePath, state: .published,
            sunsetAt: nil, deprecatedAt: nil, successorBasePath: nil,
            routing: RoutingConfig(targets: [.init(url: "http://127.0.0.1:9")], retries: retries))
    }

    func key(_ application: UUID) -> GatewayConfig.Key {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let hash = bytes.withUnsafeBytes { KeyHash(bytes: $0)! }
        return GatewayConfig.Key(hash: hash, prefix: "pk_test", applicationID: application, tenantID: tenant, status: .active, expiresAt: nil)
    }

    func subscription(_ application: UUID, _ route: GatewayConfig.Route) -> GatewayConfig.Subscription {
        GatewayConfig.Subscription(id: UUID(), applicationID: application, versionID: route.versionID, planID: plan.id, state: .active)
    }

    /// The subscription a key reaches on a route, as the request path looks it up.
    func subscription(of key: GatewayConfig.Key, on route: Int32, in config: RuntimeConfig) -> SubscriptionEntry? {
        guard let entry = config.keys[key.hash] else { return nil }
        return config.subscriptions[SubscriptionKey(route: route, application: entry.application)]
    }

    /// A delta load's changes patch the previous indexes; the result must be what compiling the
    /// new configuration from scratch gives, and a patch against another base is not applied.
    @Test func patchingWithADeltaEqualsCompilingFromScratch() {
        let (a, b, c) = (UUID(), UUID(), UUID())
        let routes = [route("/orders/v1"), route("/billing/v1")]
        let keys = [key(a), key(b), key(c)]
        let subscriptions = [subscription(a, routes[0]), subscription(b, routes[0]), subscription(b, routes[1]), subscription(c, routes[1])]
        let first = GatewayConfig(revision: 1, generatedAt: Date(), routes: routes, plans: [plan], keys: keys, subscriptions: subscriptions)
        let limiters = LimiterRegistry()
        let compiledFirst = RuntimeConfig.compile(first, targets: TargetRegistry(), limiters: limiters)
        let limiterOfB = compiledFirst.subscriptions[SubscriptionKey(route: 0, application: compiledFirst.keys[keys[1].hash]!.application)]?.limiter

        // Key b revoked, key c gone, a new key for a; subscription a suspended, c's removed, a new one for c.
        var revoked = keys[1]
        revoked.status = .revoked
        revoked.revokedAt = Date()
        let newKey = key(a)
        var suspended = subscriptions[0]
        suspended.state = .suspended
        let newSubscription = subscription(c, routes[0])
        var second = first
        second.revision = 2
        second.keys = [keys[0], revoked, newKey]
        second.subscriptions = [suspended, subscriptions[1], subscriptions[2], newSubscription]
        let changes = GatewayConfigLoader.Changes(
            keys: .init(base: first.keys, removed: [keys[1], keys[2]], added: [revoked, newKey]),
            subscriptions: .init(base: first.subscriptions, removed: [subscriptions[0], subscriptions[3]], added: [suspended, newSubscription]))

        let patched = RuntimeConfig.compile(second, previous: compiledFirst, changes: changes, targets: TargetRegistry(), limiters: limiters)
        let scratch = RuntimeConfig.compile(second, targets: TargetRegistry(), limiters: LimiterRegistry())
        func keyView(_ config: RuntimeConfig) -> [String: String] {
            Dictionary(uniqueKeysWithValues: config.keys.map { ("\($0.key)", "\($0.value.applicationID) \($0.value.status) \($0.value.forgottenAt ?? 0)") })
        }
        func subscriptionView(_ config: RuntimeConfig) -> [String: String] {
            let applicationIDs = Dictionary(uniqueKeysWithValues: config.applications.map { ($0.value, $0.key) })
            return Dictionary(uniqueKeysWithValues: config.subscriptions.map { entry in
                ("\(entry.key.route) \(applicationIDs[entry.key.application]!)", "\(entry.value.id) \(entry.value.state) \(entry.value.limiter != nil)")
            })
        }
        #expect(keyView(patched) == keyView(scratch))
        #expect(subscriptionView(patched) == subscriptionView(scratch))
        #expect(patched.keys.count == 3 && patched.subscriptions.count == 4)
        // An unchanged active subscription keeps its limiter (its bucket and counts) across the patch.
        let bOnFirstRoute = SubscriptionKey(route: 0, application: patched.keys[keys[1].hash]!.application)
        #expect(patched.subscriptions[bOnFirstRoute]?.limiter === limiterOfB)
        // The suspended subscription's limiter is forgotten, as a full compile would.
        #expect(limiters.needingTotals([subscriptions[0].id]).isEmpty && !limiters.all.contains { $0.subscriptionID == subscriptions[0].id })

        // Changes whose base is not what the previous compile saw are not applied.
        let foreign = GatewayConfigLoader.Changes(
            keys: .init(base: [keys[0]], removed: [], added: []), subscriptions: .init(base: [subscriptions[1]], removed: [], added: []))
        let rebuilt = RuntimeConfig.compile(second, previous: compiledFirst, changes: foreign, targets: TargetRegistry(), limiters: LimiterRegistry())
        #expect(keyView(rebuilt) == keyView(scratch))
        #expect(subscriptionView(rebuilt) == subscriptionView(scratch))
    }

    /// A revoked key is told apart from an unknown one for `revokedKeyDays`, counted from its
    /// revocation at request time (not from the last reload); the time survives the disk snapshot,
    /// and snapshots from before it was kept still load.
    @Test func revocationTimesTravelThroughCompileAndSnapshot() throws {
        let application = UUID()
        let now = Date(timeIntervalSince1970: Double(Int64(Date().timeIntervalSince1970)))
        var recent = key(application)
        recent.status = .revoked
        recent.revokedAt = now.addingTimeInterval(-86_400)
        var config = GatewayConfig(revision: 1, generatedAt: now, routes: [route("/orders/v1")], plans: [plan], keys: [key(application), recent], subscriptions: [])
        let compiled = RuntimeConfig.compile(config, targets: TargetRegistry(), limiters: LimiterRegistry())
        let days = Int64(GatewayConfigLoader.revokedKeyDays)
        #expect(compiled.keys[recent.hash]?.forgottenAt == Int64(now.timeIntervalSince1970) - 86_400 + days * 86_400)
        #expect(compiled.keys[config.keys[0].hash]?.forgottenAt == nil)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-snapshot-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = SnapshotStore(path: directory.appendingPathComponent("snapshot").path)
        try store.save(config)
        #expect(try store.load() == config)
        // Routes and plans unchanged: their JSON is reused, revision and keys are new.
        config.revision = 2
        config.keys.append(key(application))
        try store.save(config)
        #expect(try store.load() == config)
        config.revision = 3
        config.routes.append(route("/shipping/v1"))
        try store.save(config)
        #expect(try store.load() == config)

        // A snapshot written before revocation times were kept: seven fields per key line.
        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        let legacy = text.split(separator: "\n").map { line in
            line.hasPrefix("K\t") ? line.split(separator: "\t", omittingEmptySubsequences: false).dropLast().joined(separator: "\t") : String(line)
        }.joined(separator: "\n") + "\n"
        try legacy.write(toFile: store.path, atomically: true, encoding: .utf8)
        config.keys[1].revokedAt = nil
        #expect(try store.load() == config)
    }

    @Test func unchangedSectionsAreReusedAndStillJoinUp() throws {
        let (targets, limiters) = (TargetRegistry(), LimiterRegistry())
        let (appA, appB) = (UUID(), UUID())
        let orders = route("/orders/v1")
        let billing = route("/billing/v1")
        let keyA = key(appA)
        let first = GatewayConfig(
            revision: 1, generatedAt: Date(), routes: [orders, billing], plans: [plan], keys: [keyA], subscriptions: [subscription(appA, orders)])
        let one = RuntimeConfig.compile(first, targets: targets, limiters: limiters)
        #expect(subscription(of: keyA, on: 0, in: one)?.state == .active)

        // A new application's key arrives first in the list: the key index is rebuilt, the
        // subscriptions are reused, and application A still reaches its subscription.
        let keyB = key(appB)
        var second = first
        second.revision = 2
        second.keys = [keyB, keyA]
        let two = RuntimeConfig.compile(second, previous: one, targets: targets, limiters: limiters)
        #expect(two.routes[0] === one.routes[0])
        #expect(two.keys.count == 2)
        #expect(subscription(of: keyA, on: 0, in: two)?.id == first.subscriptions[0].id)
        #expect(subscription(of: keyB, on: 0, in: two) == nil)
        let limiter = try #require(subscription(of: keyA, on: 0, in: two)?.limiter)
        #expect(limiter === subscription(of: keyA, on: 0, in: one)?.limiter)

        // B subscribes: only the subscriptions are rebuilt, and B's key (from the reused index) reaches it.
        var third = second
        third.revision = 3
        third.subscriptions.append(subscription(appB, orders))
        let three = RuntimeConfig.compile(third, previous: two, targets: targets, limiters: limiters)
        #expect(subscription(of: keyB, on: 0, in: three)?.id == third.subscriptions[1].id)
        #expect(subscription(of: keyA, on: 0, in: three)?.limiter === limiter)

        // A route's routing changes: that route is compiled again, the other one kept, and the
        // subscriptions follow.
        var fourth = third
        fourth.revision = 4
        fourth.routes[0] = route("/orders/v1", retries: 3)
        fourth.routes[0].versionID = orders.versionID
        let four = RuntimeConfig.compile(fourth, previous: three, targets: targets, limiters: limiters)
        #expect(four.routes[0] !== three.routes[0])
        #expect(four.routes[0].retries == 3)
        #expect(four.routes[1] === three.routes[1])
        #expect(subscription(of: keyA, on: 0, in: four)?.state == .active)
        #expect(subscription(of: keyB, on: 0, in: four)?.state == .active)

        // A new version is published (it comes last): earlier routes keep their numbers and the
        // subscriptions still reach them; nothing is subscribed to the new one yet.
        var appended = fourth
        appended.revision = 4
        appended.routes.append(route("/shipping/v1"))
        let withNewRoute = RuntimeConfig.compile(appended, previous: four, targets: targets, limiters: limiters)
        #expect(withNewRoute.routes.count == 3)
        #expect(withNewRoute.routes[1] === four.routes[1])
        #expect(subscription(of: keyA, on: 0, in: withNewRoute)?.state == .active)
        #expect(subscription(of: keyA, on: 2, in: withNewRoute) == nil)

        // A key revoked (removed from the index): gone at once, the rest untouched.
        var fifth = fourth
        fifth.revision = 5
        fifth.keys = [keyB]
        let five = RuntimeConfig.compile(fifth, previous: four, targets: targets, limiters: limiters)
        #expect(five.keys[keyA.hash] == nil)
        #expect(subscription(of: keyB, on: 0, in: five)?.state == .active)
        #expect(five.routes[0] === four.routes[0])
    }
}
