import Foundation
import HTTPTypes
import Testing

@testable import Portal

/// The README's five-minute tour, step by step, through the real REST API.
@Suite struct TourTests {
    @Test func publishSubscribeApproveAndSeeKey() async throws {
        try await PortalHarness.run { portal in
            let fixture = try await Fixture.make(portal)
            let maintainer = try await portal.login(fixture.demo.maintainerEmail, fixture.password)
            let developer = try await portal.login(fixture.demo.developerEmail, fixture.password)
            let me = try await portal.request(.get, "/api/v1/me", token: maintainer)
            #expect(me.status == .ok)
            let teams = me.json["teams"] as? [[String: Any]] ?? []
            let publisherTeam = try #require(teams.first?["id"] as? String)

            let api = try await portal.request(
                .post, "/api/v1/apis", token: maintainer,
                json: ["teamId": publisherTeam, "name": "Weather", "description": "Forecasts", "tags": ["weather"], "visibility": "tenant"])
            #expect(api.status == .created, "\(api.text)")
            let version = try await portal.request(
                .post, "/api/v1/apis/\(api.id)/versions", token: maintainer,
                json: ["version": "v1", "basePath": "/weather/v1", "routing": ["targets": [["url": "http://127.0.0.1:9999", "weight": 100]]]])
            #expect(version.status == .created, "\(version.text)")
            #expect(version.string("state") == "draft")
            let gold = try await portal.request(
                .post, "/api/v1/apis/\(api.id)/plans", token: maintainer,
                json: ["name": "Gold", "rateLimitPerSecond": 50, "approvalRequired": true])
            #expect(gold.status == .created, "\(gold.text)")
            let published = try await portal.request(.post, "/api/v1/versions/\(version.id)/publish", token: maintainer)
            #expect(published.string("state") == "published", "\(published.text)")

            let catalog = try await portal.request(.get, "/api/v1/catalog?q=weath", token: developer)
            #expect(catalog.items.map { $0["name"] as? String } == ["Weather"])

            let app = try await portal.request(
                .post, "/api/v1/applications", token: developer,
                json: ["teamId": try #require(((try await portal.request(.get, "/api/v1/me", token: developer)).json["teams"] as? [[String: Any]])?.first?["id"] as? String), "name": "Mobile"])
            #expect(app.status == .created, "\(app.text)")
            let subscription = try await portal.request(
                .post, "/api/v1/subscriptions", token: developer, json: ["applicationId": app.id, "apiVersionId": version.id, "planId": gold.id])
            #expect(subscription.status == .created, "\(subscription.text)")
            #expect(subscription.string("state") == "pending")

            let inbox = try await portal.request(.get, "/api/v1/subscriptions/inbox", token: maintainer)
            #expect(inbox.items.contains { $0["id"] as? String == subscription.id })
            let approved = try await portal.request(.post, "/api/v1/subscriptions/\(subscription.id)/approve", token: maintainer, json: [:])
            #expect(approved.string("state") == "active", "\(approved.text)")

            let key = try await portal.request(.post, "/api/v1/applications/\(app.id)/keys", token: developer, json: ["slot": "primary"])
            #expect(key.status == .created)
            let secret = try #require(key.string("secret"))
            #expect(secret.hasPrefix("pk_"))
            let keys = try await portal.request(.get, "/api/v1/applications/\(app.id)/keys", token: developer)
            #expect(!keys.text.contains(secret))
        }
    }
}
