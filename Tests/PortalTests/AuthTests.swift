import Foundation
import HTTPTypes
import Testing

@testable import Portal

@Suite struct AuthTests {
    @Test func loginMeLogoutAndWrongPasswords() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let me = try await portal.request(.get, "/api/v1/me", token: w.developer)
            #expect(me.status == .ok)
            #expect((me.json["user"] as? [String: Any])?["email"] as? String == w.fixture.demo.developerEmail)
            #expect((me.json["tenant"] as? [String: Any])?["slug"] as? String == "demo")

            let unauthenticated = try await portal.request(.get, "/api/v1/me")
            #expect(unauthenticated.status == .unauthorized)
            #expect(unauthenticated.headers[.contentType] == "application/problem+json")
            #expect(unauthenticated.problemType == "unauthenticated")
            #expect(try await portal.request(.get, "/api/v1/me", token: "ps_bogus").status == .unauthorized)
            #expect(try await portal.request(.get, "/api/v1/me", headers: [.authorization: "Basic abc"]).status == .unauthorized)

            let wrong = try await portal.request(.post, "/api/v1/auth/login", json: ["email": w.fixture.demo.developerEmail, "password": "wrong-password"])
            #expect(wrong.status == .unauthorized)
            let unknown = try await portal.request(.post, "/api/v1/auth/login", json: ["email": "nobody@x.io", "password": "wrong-password"])
            #expect(unknown.status == .unauthorized)
            #expect(unknown.string("detail") == wrong.string("detail"))
            let missing = try await portal.request(.post, "/api/v1/auth/login", json: ["email": "a@b.io"])
            #expect(missing.status == .badRequest)
            #expect((missing.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "password")
            let wrongTenant = try await portal.request(
                .post, "/api/v1/auth/login", json: ["email": w.fixture.demo.developerEmail, "password": w.fixture.password, "tenant": "tenant-b"])
            #expect(wrongTenant.status == .badRequest)

            #expect(try await portal.request(.post, "/api/v1/auth/logout", token: w.developer).status == .noContent)
            #expect(try await portal.request(.get, "/api/v1/me", token: w.developer).status == .unauthorized)
        }
    }

    @Test func repeatedFailuresLockTheAddressWith429() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let email = w.fixture.demo.maintainerEmail
            for _ in 0..<5 {
                #expect(try await portal.request(.post, "/api/v1/auth/login", json: ["email": email, "password": "wrong-password"]).status == .unauthorized)
            }
            let locked = try await portal.request(.post, "/api/v1/auth/login", json: ["email": email, "password": w.fixture.password])
            #expect(locked.status == .tooManyRequests)
            #expect(Int(locked.headers[.retryAfter] ?? "") ?? 0 > 0)
            #expect(locked.problemType == "too-many-requests")
            // Other accounts are unaffected.
            #expect(try await portal.request(.post, "/api/v1/auth/login", json: ["email": w.fixture.demo.developerEmail, "password": w.fixture.password]).status == .ok)
            let audit = try await portal.request(.get, "/api/v1/audit-events?action=auth.login_failed", token: w.admin).items
            #expect(audit.count == 5)
        }
    }

    @Test func cookieSessionsNeedTheCSRFTokenForWrites() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let login = try await portal.request(
                .post, "/api/v1/auth/login", json: ["email": w.fixture.demo.developerEmail, "password": w.fixture.password])
            let setCookie = try #require(login.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            let token = try #require(login.string("token"))
            let csrf = try #require(login.string("csrfToken"))
            let cookie: HTTPFields = [.cookie: "portico_session=\(token)"]

            #expect(try await portal.request(.get, "/api/v1/me", headers: cookie).status == .ok)
            let body = ["teamId": w.consumerTeam, "name": "Cookie App"]
            let refused = try await portal.request(.post, "/api/v1/applications", json: body, headers: cookie)
            #expect(refused.status == .forbidden)
            #expect(refused.problemType == "csrf-token-invalid")
            var withCSRF = cookie
            withCSRF[HTTPField.Name("X-CSRF-Token")!] = csrf
            #expect(try await portal.request(.post, "/api/v1/applications", json: body, headers: withCSRF).status == .created)
            withCSRF[HTTPField.Name("X-CSRF-Token")!] = "wrong"
            #expect(try await portal.request(.post, "/api/v1/applications", json: ["teamId": w.consumerTeam, "name": "Other"], headers: withCSRF).status == .forbidden)
        }
    }

    @Test func personalTokensWorkUntilRevoked() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let created = try await portal.request(.post, "/api/v1/me/tokens", token: w.maintainer, json: ["name": "ci"])
            #expect(created.status == .created)
            let secret = try #require(created.string("secret"))
            #expect(secret.hasPrefix("pat_"))
            #expect(try await portal.request(.get, "/api/v1/apis", token: secret).status == .ok)
            let list = try await portal.request(.get, "/api/v1/me/tokens", token: w.maintainer)
            #expect(!list.text.contains(secret))
            let id = try #require((created.json["token"] as? [String: Any])?["id"] as? String)
            #expect(try await portal.request(.delete, "/api/v1/me/tokens/\(id)", token: w.maintainer).status == .noContent)
            #expect(try await portal.request(.get, "/api/v1/apis", token: secret).status == .unauthorized)
            #expect(try await portal.request(.delete, "/api/v1/me/tokens/\(id)", token: w.developer).status == .notFound)
            #expect(try await portal.request(.post, "/api/v1/me/tokens", token: w.maintainer, json: ["name": ""]).status == .badRequest)
        }
    }
}

/// Secrets are shown once and exist nowhere else: not in any table, not in any log line.
@Suite struct SecretHandlingTests {
    @Test func keysAndTokensAreNeverStoredOrLoggedInClear() async throws {
        let logs = LogCapture()
        try await PortalHarness.run(logs: logs) { portal in
            let w = try await World.make(portal)
            let created = try await portal.request(.post, "/api/v1/applications/\(w.application)/keys", token: w.developer, json: ["slot": "secondary"])
            let secret = try #require(created.string("secret"))
            let keyID = try #require((created.json["key"] as? [String: Any])?["id"] as? String)
            let rotated = try await portal.request(.post, "/api/v1/keys/\(keyID)/rotate", token: w.developer, json: [:])
            let rotatedSecret = try #require(rotated.string("secret"))
            let pat = try #require(try await portal.request(.post, "/api/v1/me/tokens", token: w.developer, json: ["name": "x"]).string("secret"))
            let secrets = [secret, rotatedSecret, pat, w.developer, w.fixture.demo.apiKey, w.fixture.password]

            var dump = ""
            let tables = try await portal.database.client.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").collect().map { try $0.decode(String.self) }
            #expect(tables.count > 10)
            for table in tables {
                for row in try await portal.database.client.query("SELECT t::text FROM \(unescaped: table) t").collect() {
                    dump += try row.decode(String.self) + "\n"
                }
            }
            #expect(dump.contains(w.fixture.demo.adminEmail))
            for value in secrets {
                #expect(!dump.contains(value), "a secret is stored in clear")
                #expect(!logs.all.contains { $0.contains(value) }, "a secret was logged")
            }
            #expect(!logs.all.isEmpty)
        }
    }
}
