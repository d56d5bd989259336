import Domain
import Foundation
import Logging
import PostgresNIO
import Testing

/// Incremental config loads (`sql/0006_config_changes.sql`): after a full load, the loader reads
/// only the keys and subscriptions changed since, and the result must equal a full load.
@Suite struct ConfigDeltaTests {
    /// The key and subscription sections as comparable sets.
    static func sections(_ config: GatewayConfig) -> ([KeyHash: GatewayConfig.Key], [UUID: GatewayConfig.Subscription]) {
        (Dictionary(uniqueKeysWithValues: config.keys.map { ($0.hash, $0) }), Dictionary(uniqueKeysWithValues: config.subscriptions.map { ($0.id, $0) }))
    }

    @Test func deltaLoadsEqualAFullLoadAfterInsertsUpdatesAndDeletes() async throws {
        try await GatewayHarness.run(start: false) { h in
            let loader = GatewayConfigLoader(client: h.database.client, logger: h.database.logger)
            let (first, firstChanges) = try await loader.loadWithChanges()
            #expect(firstChanges == nil)  // the first load reads everything
            #expect(first.keys.count == 1 && first.subscriptions.count == 1)

            // Nothing changed: the delta load reads nothing and gives the same sections.
            let (unchanged, unchangedChanges) = try await loader.loadWithChanges()
            #expect(unchangedChanges != nil)
            #expect(Self.sections(unchanged) == Self.sections(first))

            // Inserts and updates through the use cases, deletes as a cascade would do them.
            let second = try await h.applications.create(h.admin, teamID: h.team.id, name: "Second", description: "")
            _ = try await h.applications.createKey(h.admin, applicationID: second.id, slot: "primary", expiresAt: nil)
            var secondSubscription = try await h.subscriptions.request(h.admin, applicationID: second.id, apiVersionID: h.version.id, planID: h.plan.id, note: nil)
            if secondSubscription.state == .pending {
                secondSubscription = try await h.subscriptions.decide(h.admin, id: secondSubscription.id, action: .approve, reason: nil)
            }
            _ = try await h.applications.revokeKey(h.admin, keyID: h.key.key.id)
            _ = try await h.subscriptions.decide(h.admin, id: h.subscription.id, action: .suspend, reason: "test")
            let third = try await h.applications.create(h.admin, teamID: h.team.id, name: "Third", description: "")
            let thirdKey = try await h.applications.createKey(h.admin, applicationID: third.id, slot: "primary", expiresAt: nil)
            let thirdSubscription = try await h.subscriptions.request(h.admin, applicationID: third.id, apiVersionID: h.version.id, planID: h.plan.id, note: nil)
            // Routes: a new version, the first deprecated with it as successor, the API renamed.
            var v2 = try await h.publishing.createVersion(
                h.admin, apiID: h.api.id, .init(version: "v2", basePath: "/orders/v2", routing: RoutingConfig(targets: [.init(url: "http://127.0.0.1:9", weight: 100)])))
            v2 = try await h.publishing.publish(h.admin, versionID: v2.id)
            _ = try await h.publishing.deprecate(h.admin, versionID: h.version.id, sunsetAt: Date().addingTimeInterval(90 * 86_400), successorVersionID: v2.id)
            _ = try await h.publishing.updateAPI(h.admin, id: h.api.id, .init(name: "Orders Renamed"))
            let (afterInserts, insertChanges) = try await loader.loadWithChanges()
            #expect(insertChanges != nil)
            #expect(afterInserts.routes.map(\.apiName) == ["Orders Renamed", "Orders Renamed"])
            #expect(afterInserts.routes.first { $0.versionID == h.version.id }?.successorBasePath == "/orders/v2")
            #expect(afterInserts.routes.first { $0.versionID == h.version.id }?.state == .deprecated)
            try await h.database.client.query("DELETE FROM api_keys WHERE id = \(thirdKey.key.id)")
            try await h.database.client.query("DELETE FROM subscriptions WHERE id = \(thirdSubscription.id)")

            let (delta, deltaChanges) = try await loader.loadWithChanges()
            // The reported changes are the ones made: the third key and subscription left.
            #expect(deltaChanges?.keys.removed.map(\.applicationID) == [third.id])
            #expect(deltaChanges?.subscriptions.removed.map(\.id) == [thirdSubscription.id])
            #expect(deltaChanges?.keys.added.isEmpty == true)
            let full = try await GatewayConfigLoader(client: h.database.client, logger: h.database.logger).load()
            #expect(Self.sections(delta) == Self.sections(full))
            #expect(delta.routes == full.routes)  // the same routes in the same order (a route's position is its number)
            #expect(delta.plans == full.plans)
            // And the changes really are in it.
            let (keys, subscriptions) = Self.sections(delta)
            #expect(keys.count == 2)  // the revoked first key (still recognised as revoked) and the second; the third is gone
            #expect(keys.values.first { $0.applicationID == second.id }?.status == .active)
            #expect(keys.values.first { $0.applicationID == h.application.id }?.status == .revoked)
            #expect(!keys.values.contains { $0.applicationID == third.id })
            #expect(Self.sections(afterInserts).0.values.contains { $0.applicationID == third.id })
            #expect(subscriptions[h.subscription.id]?.state == .suspended)
            #expect(subscriptions[secondSubscription.id]?.state == .active)
            #expect(subscriptions[thirdSubscription.id] == nil)
        }
    }

    /// A transaction still open while the gateway loads commits afterwards with a lower id than
    /// later ones: the next load must still see it.
    @Test func aTransactionOpenDuringALoadIsSeenByTheNextOne() async throws {
        try await GatewayHarness.run(start: false) { h in
            let loader = GatewayConfigLoader(client: h.database.client, logger: h.database.logger)
            _ = try await loader.load()
            let keyID = h.key.key.id
            try await h.database.client.withConnection { connection in
                try await connection.query("BEGIN", logger: h.database.logger)
                try await connection.query("UPDATE api_keys SET status = 'disabled' WHERE id = \(keyID)", logger: h.database.logger)
                // A later transaction commits first (its change is seen at once).
                _ = try await h.applications.createKey(h.admin, applicationID: h.application.id, slot: "secondary", expiresAt: nil)
                let during = try await loader.load()
                #expect(during.keys.count == 2)
                #expect(during.keys.first { $0.prefix == h.key.key.prefix }?.status == .active)
                try await connection.query("COMMIT", logger: h.database.logger)
            }
            let (after, afterChanges) = try await loader.loadWithChanges()
            #expect(afterChanges != nil)
            #expect(after.keys.first { $0.prefix == h.key.key.prefix }?.status == .disabled)
        }
    }
}
