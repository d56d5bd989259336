import Foundation
import HTTPTypes

@testable import Portal

/// Signed-in callers and the ids of tenant A's resources, for tests that go through the REST API.
struct World: Sendable {
    var fixture: Fixture
    var admin: String
    var maintainer: String
    var developer: String
    var adminB: String
    var developerB: String
    var tenantA: String
    var publisherTeam: String
    var consumerTeam: String
    var maintainerUser: String
    var developerUser: String
    var echoAPI: String
    var echoVersion: String
    var freePlan: String
    var goldPlan: String
    var application: String
    var key: String
    var subscription: String

    static func make(_ portal: PortalHarness) async throws -> World {
        let fixture = try await Fixture.make(portal)
        let admin = try await portal.login(fixture.demo.adminEmail, fixture.demo.adminPassword, tenant: "demo")
        let maintainer = try await portal.login(fixture.demo.maintainerEmail, fixture.password)
        let developer = try await portal.login(fixture.demo.developerEmail, fixture.password)
        let adminB = try await portal.login(fixture.tenantBAdminEmail, fixture.password)
        let developerB = try await portal.login(fixture.tenantBDeveloperEmail, fixture.password)
        let me = try await portal.request(.get, "/api/v1/me", token: admin).json
        let tenantA = ((me["tenant"] as? [String: Any])?["id"] as? String) ?? ""
        let teams = try await portal.request(.get, "/api/v1/teams", token: admin).items
        func team(_ slug: String) -> String { teams.first { $0["slug"] as? String == slug }?["id"] as? String ?? "" }
        let members = try await portal.request(.get, "/api/v1/tenants/\(tenantA)/members", token: admin).items
        func user(_ email: String) -> String {
            (members.first { ($0["user"] as? [String: Any])?["email"] as? String == email }?["user"] as? [String: Any])?["id"] as? String ?? ""
        }
        let echoVersion = fixture.demo.echoVersionID.uuidString
        let version = try await portal.request(.get, "/api/v1/versions/\(echoVersion)", token: admin)
        let echoAPI = version.string("apiId") ?? ""
        let plans = try await portal.request(.get, "/api/v1/apis/\(echoAPI)/plans", token: admin).items
        func plan(_ name: String) -> String { plans.first { $0["name"] as? String == name }?["id"] as? String ?? "" }
        let app = fixture.demo.applicationID.uuidString
        let keys = try await portal.request(.get, "/api/v1/applications/\(app)/keys", token: admin).items
        let subscriptions = try await portal.request(.get, "/api/v1/subscriptions?applicationId=\(app)", token: admin).items
        return World(
            fixture: fixture, admin: admin, maintainer: maintainer, developer: developer, adminB: adminB, developerB: developerB, tenantA: tenantA,
            publisherTeam: team("publishers"), consumerTeam: team("consumers"), maintainerUser: user(fixture.demo.maintainerEmail),
            developerUser: user(fixture.demo.developerEmail), echoAPI: echoAPI, echoVersion: echoVersion, freePlan: plan("Free"),
            goldPlan: plan("Gold"), application: app, key: keys.first?["id"] as? String ?? "", subscription: subscriptions.first?["id"] as? String ?? "")
    }
}
