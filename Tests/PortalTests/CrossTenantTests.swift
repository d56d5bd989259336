import Foundation
import HTTPTypes
import Testing

@testable import Portal

/// A user of tenant B gets 404 for every one of tenant A's resources, for reads and writes, and
/// nothing of A changes.
@Suite struct CrossTenantTests {
    @Test func tenantBSeesNothingOfTenantAByID() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            #expect(![w.tenantA, w.publisherTeam, w.echoAPI, w.goldPlan, w.application, w.key, w.subscription].contains(""))
            let calls: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.get, "/tenants/\(w.tenantA)", nil), (.patch, "/tenants/\(w.tenantA)", ["name": "x"]),
                (.get, "/tenants/\(w.tenantA)/members", nil), (.post, "/tenants/\(w.tenantA)/members", ["email": "x@y.io", "password": "0123456789ab"]),
                (.patch, "/tenants/\(w.tenantA)/members/\(w.developerUser)", ["role": "admin"]),
                (.delete, "/tenants/\(w.tenantA)/members/\(w.developerUser)", nil),
                (.get, "/teams/\(w.publisherTeam)", nil), (.patch, "/teams/\(w.publisherTeam)", ["name": "x"]),
                (.delete, "/teams/\(w.publisherTeam)", nil), (.get, "/teams/\(w.publisherTeam)/members", nil),
                (.post, "/teams/\(w.publisherTeam)/members", ["userId": w.developerUser]),
                (.patch, "/teams/\(w.publisherTeam)/members/\(w.maintainerUser)", ["role": "developer"]),
                (.delete, "/teams/\(w.publisherTeam)/members/\(w.maintainerUser)", nil),
                (.get, "/apis/\(w.echoAPI)", nil), (.patch, "/apis/\(w.echoAPI)", ["name": "x"]), (.delete, "/apis/\(w.echoAPI)", nil),
                (.get, "/apis/\(w.echoAPI)/versions", nil),
                (.post, "/apis/\(w.echoAPI)/versions", ["version": "v9", "basePath": "/x/v9", "routing": ["targets": [["url": "http://a:1"]]]]),
                (.get, "/apis/\(w.echoAPI)/plans", nil), (.post, "/apis/\(w.echoAPI)/plans", ["name": "Evil"]),
                (.get, "/versions/\(w.echoVersion)", nil), (.patch, "/versions/\(w.echoVersion)", ["basePath": "/x"]),
                (.get, "/versions/\(w.echoVersion)/openapi", nil), (.post, "/versions/\(w.echoVersion)/publish", nil),
                (.post, "/versions/\(w.echoVersion)/deprecate", ["sunsetAt": "2099-01-01T00:00:00Z"]), (.post, "/versions/\(w.echoVersion)/retire", nil),
                (.get, "/plans/\(w.goldPlan)", nil), (.patch, "/plans/\(w.goldPlan)", ["rateLimitPerSecond": 1]),
                (.post, "/plans/\(w.goldPlan)/close", nil),
                (.get, "/applications/\(w.application)", nil), (.patch, "/applications/\(w.application)", ["name": "x"]),
                (.get, "/applications/\(w.application)/keys", nil), (.post, "/applications/\(w.application)/keys", ["slot": "secondary"]),
                (.post, "/keys/\(w.key)/rotate", nil), (.post, "/keys/\(w.key)/disable", nil), (.post, "/keys/\(w.key)/enable", nil),
                (.post, "/keys/\(w.key)/revoke", nil),
                (.get, "/subscriptions/\(w.subscription)", nil), (.get, "/subscriptions/\(w.subscription)/decisions", nil),
            ] + ["approve", "reject", "suspend", "resume", "revoke", "cancel"].map { (.post, "/subscriptions/\(w.subscription)/\($0)", ["reason": "x"]) }

            for token in [w.adminB, w.developerB] {
                for (method, path, body) in calls {
                    let reply = try await portal.request(method, "/api/v1" + path, token: token, json: body)
                    #expect(reply.status == .notFound, "\(method) \(path) → \(reply.status): \(reply.text)")
                    #expect(reply.problemType == "not-found")
                }
            }
            // PUT of an OpenAPI document is a raw body.
            let put = try await portal.request(.put, "/api/v1/versions/\(w.echoVersion)/openapi", token: w.adminB, raw: #"{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{}}"#)
            #expect(put.status == .notFound)

            // References in bodies to A's resources are refused without saying whether they exist.
            let teamB = try await portal.request(.get, "/api/v1/teams", token: w.adminB).items.first?["id"] as? String ?? ""
            let appB = try await portal.request(.post, "/api/v1/applications", token: w.adminB, json: ["teamId": teamB, "name": "B app"])
            let subscribe = try await portal.request(
                .post, "/api/v1/subscriptions", token: w.adminB, json: ["applicationId": appB.id, "apiVersionId": w.echoVersion, "planId": w.freePlan])
            #expect(subscribe.status == .badRequest)
            let foreignTeam = try await portal.request(.post, "/api/v1/apis", token: w.adminB, json: ["teamId": w.publisherTeam, "name": "Steal"])
            #expect(foreignTeam.status == .notFound)

            // Lists of B contain nothing of A.
            for path in ["/apis", "/applications", "/subscriptions", "/subscriptions?scope=publisher", "/teams", "/audit-events"] {
                let text = try await portal.request(.get, "/api/v1" + path, token: w.adminB).text
                for id in [w.echoAPI, w.application, w.subscription, w.publisherTeam, w.tenantA] {
                    #expect(!text.lowercased().contains(id.lowercased()), "\(path) leaks \(id)")
                }
            }

            // Nothing of A changed.
            let version = try await portal.request(.get, "/api/v1/versions/\(w.echoVersion)", token: w.admin)
            #expect(version.string("state") == "published")
            let keys = try await portal.request(.get, "/api/v1/applications/\(w.application)/keys", token: w.admin).items
            #expect(keys.map { $0["status"] as? String } == ["active"])
            let subscription = try await portal.request(.get, "/api/v1/subscriptions/\(w.subscription)", token: w.admin)
            #expect(subscription.string("state") == "active")
        }
    }

    @Test func publicAPIsAreInEveryonesCatalogOthersAreNot() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let orders = try await portal.request(
                .post, "/api/v1/apis", token: w.maintainer, json: ["teamId": w.publisherTeam, "name": "Orders", "visibility": "tenant"])
            let version = try await portal.request(
                .post, "/api/v1/apis/\(orders.id)/versions", token: w.maintainer,
                json: ["version": "v1", "basePath": "/orders/v1", "routing": ["targets": [["url": "http://a:1"]]]])
            try await portal.request(.post, "/api/v1/versions/\(version.id)/publish", token: w.maintainer)

            let anonymous = try await portal.request(.get, "/api/v1/catalog")
            #expect(anonymous.items.compactMap { $0["name"] as? String } == ["Echo"])
            let tenantB = try await portal.request(.get, "/api/v1/catalog", token: w.developerB)
            #expect(tenantB.items.compactMap { $0["name"] as? String } == ["Echo"])
            let tenantA = try await portal.request(.get, "/api/v1/catalog", token: w.developer)
            #expect(tenantA.items.compactMap { $0["name"] as? String } == ["Echo", "Orders"])
            #expect(try await portal.request(.get, "/api/v1/catalog/\(orders.id)", token: w.developerB).status == .notFound)
            #expect(try await portal.request(.get, "/api/v1/catalog/\(orders.id)").status == .notFound)
            #expect(try await portal.request(.get, "/api/v1/catalog/\(w.echoAPI)").status == .ok)
        }
    }
}
