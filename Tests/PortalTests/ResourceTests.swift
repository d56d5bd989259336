import Foundation
import HTTPTypes
import Testing

@testable import Portal

/// Each resource's happy path and its 400/401/403/404/409 answers, through the REST API.
@Suite struct ResourceTests {
    @Test func tenantsAndMembers() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let created = try await portal.request(
                .post, "/api/v1/tenants", token: w.admin,
                json: ["name": "Acme", "admin": ["email": "boss@acme.io", "password": "correct-horse-battery"]])
            #expect(created.status == .created, "\(created.text)")
            #expect(created.string("slug") == "acme")
            #expect(try await portal.request(.post, "/api/v1/tenants", token: w.admin, json: ["name": "Acme", "admin": ["email": "x@acme.io", "password": "correct-horse-battery"]]).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/tenants", token: w.admin, json: ["name": ""]).status == .badRequest)
            #expect(try await portal.request(.post, "/api/v1/tenants", token: w.maintainer, json: ["name": "Nope", "admin": ["email": "n@x.io"]]).status == .forbidden)
            #expect(try await portal.request(.post, "/api/v1/tenants", json: ["name": "Nope"]).status == .unauthorized)
            #expect(try await portal.request(.get, "/api/v1/tenants/\(UUID())", token: w.maintainer).status == .notFound)

            let added = try await portal.request(
                .post, "/api/v1/tenants/\(w.tenantA)/members", token: w.admin, json: ["email": "new@demo.local", "password": "a-long-password", "role": "member"])
            #expect(added.status == .created, "\(added.text)")
            #expect(try await portal.request(.post, "/api/v1/tenants/\(w.tenantA)/members", token: w.admin, json: ["email": "new@demo.local"]).status == .conflict)
            let noPassword = try await portal.request(.post, "/api/v1/tenants/\(w.tenantA)/members", token: w.admin, json: ["email": "other@demo.local"])
            #expect(noPassword.status == .badRequest)
            #expect((noPassword.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "password")
            #expect(try await portal.request(.post, "/api/v1/tenants/\(w.tenantA)/members", token: w.developer, json: ["email": "z@demo.local"]).status == .forbidden)
            let members = try await portal.request(.get, "/api/v1/tenants/\(w.tenantA)/members?q=new", token: w.developer)
            #expect(members.items.count == 1)
            // The last admin cannot be demoted.
            let adminID = ((try await portal.request(.get, "/api/v1/me", token: w.admin).json["user"] as? [String: Any])?["id"] as? String) ?? ""
            let demote = try await portal.request(.patch, "/api/v1/tenants/\(w.tenantA)/members/\(adminID)", token: w.admin, json: ["role": "member"])
            #expect(demote.status == .conflict)
            #expect(try await portal.request(.patch, "/api/v1/tenants/\(w.tenantA)", token: w.admin, json: ["name": "Demo Renamed"]).string("name") == "Demo Renamed")
        }
    }

    @Test func teamsAndMembers() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let team = try await portal.request(.post, "/api/v1/teams", token: w.admin, json: ["name": "Data Platform", "description": "ETL"])
            #expect(team.status == .created)
            #expect(team.string("slug") == "data-platform")
            #expect(try await portal.request(.post, "/api/v1/teams", token: w.admin, json: ["name": "Data Platform"]).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/teams", token: w.admin, json: ["name": "X", "slug": "Bad Slug"]).status == .badRequest)
            #expect(try await portal.request(.post, "/api/v1/teams", token: w.maintainer, json: ["name": "Mine"]).status == .forbidden)
            #expect(try await portal.request(.get, "/api/v1/teams").status == .unauthorized)
            #expect(try await portal.request(.get, "/api/v1/teams/not-a-uuid", token: w.admin).status == .notFound)

            let member = try await portal.request(.post, "/api/v1/teams/\(team.id)/members", token: w.admin, json: ["userId": w.developerUser, "role": "maintainer"])
            #expect(member.status == .created, "\(member.text)")
            #expect(try await portal.request(.post, "/api/v1/teams/\(team.id)/members", token: w.admin, json: ["userId": w.developerUser]).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/teams/\(team.id)/members", token: w.admin, json: ["email": "nobody@x.io"]).status == .badRequest)
            #expect(try await portal.request(.patch, "/api/v1/teams/\(team.id)/members/\(w.developerUser)", token: w.admin, json: ["role": "boss"]).status == .badRequest)
            #expect(try await portal.request(.get, "/api/v1/teams/\(team.id)/members", token: w.developer).items.count == 1)
            // A maintainer of another team may not touch this one.
            #expect(try await portal.request(.patch, "/api/v1/teams/\(team.id)", token: w.maintainer, json: ["name": "Hijack"]).status == .forbidden)
            #expect(try await portal.request(.delete, "/api/v1/teams/\(w.publisherTeam)", token: w.admin).status == .conflict)
            #expect(try await portal.request(.delete, "/api/v1/teams/\(team.id)/members/\(w.developerUser)", token: w.admin).status == .noContent)
            #expect(try await portal.request(.delete, "/api/v1/teams/\(team.id)", token: w.admin).status == .noContent)
        }
    }

    @Test func apisVersionsAndPlans() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let api = try await portal.request(.post, "/api/v1/apis", token: w.maintainer, json: ["teamId": w.publisherTeam, "name": "Billing", "tags": ["Money", "money"]])
            #expect(api.status == .created)
            #expect(api.json["tags"] as? [String] == ["money"])
            #expect(try await portal.request(.post, "/api/v1/apis", token: w.maintainer, json: ["teamId": w.publisherTeam, "name": "Billing"]).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/apis", token: w.developer, json: ["teamId": w.publisherTeam, "name": "Dev API"]).status == .forbidden)
            let bad = try await portal.request(.post, "/api/v1/apis", token: w.maintainer, json: ["teamId": w.publisherTeam, "name": "X", "visibility": "world"])
            #expect(bad.status == .badRequest)
            #expect((bad.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "visibility")
            let typeError = try await portal.request(.post, "/api/v1/apis", token: w.maintainer, json: ["teamId": w.publisherTeam, "name": 5])
            #expect(typeError.status == .badRequest)
            #expect((typeError.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "name")
            #expect(try await portal.request(.post, "/api/v1/apis", token: w.maintainer, raw: "{nope").problemType == "malformed-request")
            #expect(try await portal.request(.post, "/api/v1/apis", token: w.maintainer, raw: "name=x", headers: [.contentType: "text/plain"]).status == .unsupportedMediaType)
            #expect(try await portal.request(.get, "/api/v1/apis/\(UUID())", token: w.maintainer).status == .notFound)

            let routing: [String: Any] = ["targets": [["url": "http://127.0.0.1:9", "weight": 3]], "loadBalancing": "weighted", "retries": 2]
            let version = try await portal.request(.post, "/api/v1/apis/\(api.id)/versions", token: w.maintainer, json: ["version": "v1", "basePath": "/billing/v1", "routing": routing])
            #expect(version.status == .created, "\(version.text)")
            let clash = try await portal.request(.post, "/api/v1/apis/\(api.id)/versions", token: w.maintainer, json: ["version": "v2", "basePath": "/echo/v1", "routing": routing])
            #expect(clash.status == .conflict)
            let badRouting = try await portal.request(
                .post, "/api/v1/apis/\(api.id)/versions", token: w.maintainer,
                json: ["version": "v3", "basePath": "billing", "routing": ["targets": [["url": "nope"]], "loadBalancing": "random"]])
            #expect(badRouting.status == .badRequest)
            // Drafts are invisible outside the team; editable inside it.
            #expect(try await portal.request(.get, "/api/v1/versions/\(version.id)", token: w.developer).status == .notFound)
            #expect(try await portal.request(.patch, "/api/v1/versions/\(version.id)", token: w.maintainer, json: ["basePath": "/billing/v1beta"]).string("basePath") == "/billing/v1beta")

            // OpenAPI import: validated with field paths, only on drafts.
            let invalid = try await portal.request(.put, "/api/v1/versions/\(version.id)/openapi", token: w.maintainer, raw: #"{"openapi":"3.1.0","paths":{"x":{}}}"#)
            #expect(invalid.status == .badRequest)
            #expect(Set(((invalid.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }) == ["document.info", #"document.paths["x"]"#])
            let imported = try await portal.request(
                .put, "/api/v1/versions/\(version.id)/openapi", token: w.maintainer,
                raw: #"{"openapi":"3.0.3","info":{"title":"Billing","version":"1"},"paths":{"/invoices":{"get":{"responses":{"200":{"description":"ok"}}}}}}"#)
            #expect(imported.json["operationCount"] as? Int == 1, "\(imported.text)")
            #expect(try await portal.request(.get, "/api/v1/versions/\(version.id)/openapi", token: w.maintainer).text.contains("/invoices"))

            let plan = try await portal.request(.post, "/api/v1/apis/\(api.id)/plans", token: w.maintainer, json: ["name": "Basic", "rateLimitPerSecond": 5, "quotaPerDay": 1000])
            #expect(plan.status == .created)
            #expect(try await portal.request(.post, "/api/v1/apis/\(api.id)/plans", token: w.maintainer, json: ["name": "basic"]).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/apis/\(api.id)/plans", token: w.maintainer, json: ["name": "Zero", "rateLimitPerSecond": 0]).status == .badRequest)
            let unlimited = try await portal.request(.patch, "/api/v1/plans/\(plan.id)", token: w.maintainer, json: ["quotaPerDay": NSNull()])
            #expect(unlimited.json["quotaPerDay"] == nil && unlimited.json["rateLimitPerSecond"] as? Int == 5, "\(unlimited.text)")

            // Lifecycle: publish → deprecate (sunset required, in the future) → retire; forbidden moves answer 409 with the state.
            #expect(try await portal.request(.post, "/api/v1/versions/\(version.id)/retire", token: w.maintainer).json["currentState"] as? String == "draft")
            #expect(try await portal.request(.post, "/api/v1/versions/\(version.id)/publish", token: w.developer).status == .notFound)
            #expect(try await portal.request(.post, "/api/v1/versions/\(version.id)/publish", token: w.maintainer).string("state") == "published")
            let frozen = try await portal.request(.patch, "/api/v1/versions/\(version.id)", token: w.maintainer, json: ["basePath": "/x"])
            #expect(frozen.status == .conflict)
            #expect(frozen.problemType == "invalid-transition")
            #expect(try await portal.request(.post, "/api/v1/versions/\(version.id)/publish", token: w.developer).status == .forbidden)
            #expect(try await portal.request(.post, "/api/v1/versions/\(version.id)/deprecate", token: w.maintainer, json: [:]).status == .badRequest)
            #expect(try await portal.request(.post, "/api/v1/versions/\(version.id)/deprecate", token: w.maintainer, json: ["sunsetAt": "2001-01-01T00:00:00Z"]).status == .badRequest)
            let deprecated = try await portal.request(.post, "/api/v1/versions/\(version.id)/deprecate", token: w.maintainer, json: ["sunsetAt": "2099-06-30T00:00:00Z"])
            #expect(deprecated.string("state") == "deprecated")
            #expect(deprecated.string("sunsetAt") == "2099-06-30T00:00:00Z")
            #expect(try await portal.request(.post, "/api/v1/versions/\(version.id)/retire", token: w.maintainer).string("state") == "retired")
            #expect(try await portal.request(.post, "/api/v1/versions/\(version.id)/publish", token: w.maintainer).status == .conflict)
            #expect(try await portal.request(.delete, "/api/v1/apis/\(api.id)", token: w.maintainer).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/plans/\(plan.id)/close", token: w.maintainer).string("state") == "closed")
            #expect(try await portal.request(.post, "/api/v1/plans/\(plan.id)/close", token: w.maintainer).status == .conflict)
        }
    }

    @Test func catalogSearchTagsAndPaging() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            for index in 0..<5 {
                let api = try await portal.request(.post, "/api/v1/apis", token: w.maintainer, json: ["teamId": w.publisherTeam, "name": "Payments \(index)", "tags": ["pay"], "visibility": "public"])
                let version = try await portal.request(
                    .post, "/api/v1/apis/\(api.id)/versions", token: w.maintainer,
                    json: ["version": "v1", "basePath": "/pay\(index)/v1", "routing": ["targets": [["url": "http://a:1"]]]])
                try await portal.request(.post, "/api/v1/versions/\(version.id)/publish", token: w.maintainer)
            }
            var names: [String] = []
            var cursor: String?
            repeat {
                let page = try await portal.request(.get, "/api/v1/catalog?q=PAY&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                names += page.items.compactMap { $0["name"] as? String }
                cursor = page.string("nextCursor")
            } while cursor != nil
            #expect(names == (0..<5).map { "Payments \($0)" })
            #expect(try await portal.request(.get, "/api/v1/catalog?tag=pay").items.count == 5)
            #expect(try await portal.request(.get, "/api/v1/catalog?tag=echo").items.map { $0["name"] as? String } == ["Echo"])
            let tags = try await portal.request(.get, "/api/v1/catalog/tags").items
            #expect(tags.first?["tag"] as? String == "pay")
            #expect(try await portal.request(.get, "/api/v1/catalog?limit=500").status == .badRequest)
            #expect(try await portal.request(.get, "/api/v1/catalog?cursor=abc").status == .badRequest)
            #expect(try await portal.request(.get, "/api/v1/catalog/\(UUID())").status == .notFound)
            let detail = try await portal.request(.get, "/api/v1/catalog/\(w.echoAPI)")
            #expect((detail.json["plans"] as? [[String: Any]])?.count == 2)
            #expect(try await portal.request(.get, "/api/v1/catalog/\(w.echoAPI)/versions/\(w.echoVersion)/openapi").text.contains("\"openapi\""))
        }
    }

    @Test func applicationsAndKeys() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let app = try await portal.request(.post, "/api/v1/applications", token: w.developer, json: ["teamId": w.consumerTeam, "name": "Web"])
            #expect(app.status == .created)
            #expect(try await portal.request(.post, "/api/v1/applications", token: w.developer, json: ["teamId": w.consumerTeam, "name": "web"]).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/applications", token: w.developer, json: ["teamId": w.publisherTeam, "name": "Sneaky"]).status == .forbidden)
            #expect(try await portal.request(.post, "/api/v1/applications", token: w.developer, json: ["name": "No team"]).status == .badRequest)
            #expect(try await portal.request(.get, "/api/v1/applications/\(app.id)", token: w.maintainer).status == .notFound)

            let primary = try await portal.request(.post, "/api/v1/applications/\(app.id)/keys", token: w.developer, json: [:])
            #expect(primary.status == .created)
            #expect(primary.headers[.cacheControl] == "no-store")
            #expect(try await portal.request(.post, "/api/v1/applications/\(app.id)/keys", token: w.developer, json: ["slot": "primary"]).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/applications/\(app.id)/keys", token: w.developer, json: ["slot": "tertiary"]).status == .badRequest)
            let keyID = try #require((primary.json["key"] as? [String: Any])?["id"] as? String)
            #expect(try await portal.request(.post, "/api/v1/keys/\(keyID)/disable", token: w.developer).string("status") == "disabled")
            #expect(try await portal.request(.post, "/api/v1/keys/\(keyID)/disable", token: w.developer).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/keys/\(keyID)/enable", token: w.developer).string("status") == "active")
            let rotated = try await portal.request(.post, "/api/v1/keys/\(keyID)/rotate", token: w.developer, json: [:])
            #expect(rotated.status == .created)
            #expect(rotated.string("secret") != primary.string("secret"))
            #expect(try await portal.request(.post, "/api/v1/keys/\(keyID)/revoke", token: w.developer).status == .conflict)
            let keys = try await portal.request(.get, "/api/v1/applications/\(app.id)/keys?includeRevoked=true", token: w.developer).items
            #expect(keys.compactMap { $0["status"] as? String }.sorted() == ["active", "revoked"])
            #expect(try await portal.request(.post, "/api/v1/keys/\(keyID)/enable", token: w.maintainer).status == .notFound)
        }
    }

    @Test func subscriptionsAndDecisions() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let app = try await portal.request(.post, "/api/v1/applications", token: w.developer, json: ["teamId": w.consumerTeam, "name": "Mobile"])
            let request = ["applicationId": app.id, "apiVersionId": w.echoVersion, "planId": w.goldPlan]
            let pending = try await portal.request(.post, "/api/v1/subscriptions", token: w.developer, json: request)
            #expect(pending.string("state") == "pending")
            #expect(try await portal.request(.post, "/api/v1/subscriptions", token: w.developer, json: request).status == .conflict)
            #expect(try await portal.request(.post, "/api/v1/subscriptions", token: w.developer, json: ["applicationId": app.id]).status == .badRequest)
            #expect(try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/approve", token: w.developer, json: [:]).status == .forbidden)
            #expect(try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/reject", token: w.maintainer, json: [:]).status == .badRequest)
            #expect(try await portal.request(.get, "/api/v1/subscriptions/\(UUID())", token: w.maintainer).status == .notFound)
            #expect(try await portal.request(.get, "/api/v1/subscriptions/inbox", token: w.developer).items.isEmpty)
            #expect(try await portal.request(.get, "/api/v1/subscriptions/inbox", token: w.maintainer).items.count == 1)

            #expect(try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/approve", token: w.maintainer, json: [:]).string("state") == "active")
            #expect(try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/suspend", token: w.maintainer, json: [:]).status == .badRequest)
            #expect(try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/suspend", token: w.maintainer, json: ["reason": "abuse"]).string("decisionReason") == "abuse")
            #expect(try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/resume", token: w.maintainer, json: [:]).string("state") == "active")
            #expect(try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/cancel", token: w.maintainer, json: [:]).status == .forbidden)
            #expect(try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/cancel", token: w.developer, json: [:]).string("state") == "cancelled")
            let conflict = try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/resume", token: w.maintainer, json: [:])
            #expect(conflict.status == .conflict)
            #expect(conflict.json["currentState"] as? String == "cancelled")
            let decisions = try await portal.request(.get, "/api/v1/subscriptions/\(pending.id)/decisions", token: w.developer).items
            #expect(decisions.compactMap { $0["action"] as? String } == ["request", "approve", "suspend", "resume", "cancel"])
            #expect(try await portal.request(.get, "/api/v1/subscriptions?state=cancelled", token: w.developer).items.count == 1)
            #expect(try await portal.request(.get, "/api/v1/subscriptions?state=weird", token: w.developer).status == .badRequest)

            // A deprecated version takes no new subscriptions.
            try await portal.request(.post, "/api/v1/versions/\(w.echoVersion)/deprecate", token: w.maintainer, json: ["sunsetAt": "2099-01-01T00:00:00Z"])
            let refused = try await portal.request(.post, "/api/v1/subscriptions", token: w.developer, json: request)
            #expect(refused.status == .conflict)
            #expect(refused.string("detail")?.contains("deprecated") == true)
        }
    }

    @Test func auditTrailFiltersAndGeneralErrors() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            try await portal.request(.patch, "/api/v1/applications/\(w.application)", token: w.developer, json: ["description": "changed"])
            let events = try await portal.request(.get, "/api/v1/audit-events?targetType=application&targetId=\(w.application)", token: w.admin).items
            #expect(events.first?["action"] as? String == "application.updated")
            #expect((events.first?["before"] as? [String: Any])?["description"] as? String == "The demo consumer")
            #expect((events.first?["after"] as? [String: Any])?["description"] as? String == "changed")
            let mine = try await portal.request(.get, "/api/v1/audit-events", token: w.developer).items
            #expect(!mine.isEmpty && mine.allSatisfy { $0["actorLabel"] as? String == w.fixture.demo.developerEmail })
            #expect(try await portal.request(.get, "/api/v1/audit-events?from=yesterday", token: w.admin).status == .badRequest)
            let page = try await portal.request(.get, "/api/v1/audit-events?limit=3", token: w.admin)
            let next = try await portal.request(.get, "/api/v1/audit-events?limit=3&cursor=\(page.string("nextCursor") ?? "")", token: w.admin)
            #expect(Set(page.items.compactMap { $0["id"] as? Int }).isDisjoint(with: next.items.compactMap { $0["id"] as? Int }))

            let tooBig = try await portal.request(.post, "/api/v1/applications", token: w.developer, raw: "{\"name\":\"" + String(repeating: "a", count: 1_100_000) + "\"}")
            #expect(tooBig.status == .contentTooLarge)
            let wrongMethod = try await portal.request(.put, "/api/v1/applications", token: w.developer)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "GET, POST")
            #expect(try await portal.request(.get, "/api/v1/nope", token: w.developer).status == .notFound)
            #expect(try await portal.request(.get, "/api/v1/openapi.json", token: "garbage").status == .ok)
        }
    }
}
