import Domain
import Foundation

@testable import Portal

/// Two tenants with people in every role, created through the Domain use cases.
/// Tenant A is the demo (Echo API, Free and Gold plans, an app with a key); tenant B has its own
/// admin, team and developer, and must never see anything of A by id.
struct Fixture: Sendable {
    var demo: DemoSeeder.Credentials
    var tenantBAdminEmail = "admin@b.example"
    var tenantBDeveloperEmail = "dev@b.example"
    var password: String { demo.userPassword }

    static func make(_ harness: PortalHarness) async throws -> Fixture {
        let hasher = PasswordHasher(cost: 4)
        let seeder = DemoSeeder(database: harness.database, hasher: hasher)
        let demo = try await seeder.seed(echoUpstream: "http://127.0.0.1:9/_echo")
        let fixture = Fixture(demo: demo)
        let platformAdmin = try await seeder.ensurePlatformAdmin(email: demo.adminEmail, password: demo.adminPassword, displayName: "Admin")
        let tenantB = try await TenantService(database: harness.database, hasher: hasher).create(
            platformAdmin, slug: "tenant-b", name: "Tenant B",
            admin: .init(email: fixture.tenantBAdminEmail, displayName: "B Admin", password: demo.userPassword, role: "admin"))
        let adminToken = try await harness.login(fixture.tenantBAdminEmail, demo.userPassword)
        try await harness.request(
            .post, "/api/v1/tenants/\(tenantB.id)/members", token: adminToken,
            json: ["email": fixture.tenantBDeveloperEmail, "password": demo.userPassword, "displayName": "B Dev"])
        let team = try await harness.request(.post, "/api/v1/teams", token: adminToken, json: ["name": "B Team"])
        try await harness.request(
            .post, "/api/v1/teams/\(team.id)/members", token: adminToken, json: ["email": fixture.tenantBDeveloperEmail, "role": "developer"])
        return fixture
    }
}
