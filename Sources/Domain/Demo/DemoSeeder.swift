import Foundation
import Logging
import PostgresNIO

/// Seeds the demo tenant once, through the same use cases people use (so the demo obeys every
/// rule): a platform admin, a publisher team with the public `Echo` API (v1 published, plans
/// `Free` and `Gold`), and a consumer team whose application holds an active `Free`
/// subscription and a key.
public struct DemoSeeder: Sendable {
    /// What `make run` prints and writes to `.data/demo.env`.
    public struct Credentials: Sendable, Equatable {
        public var adminEmail: String
        public var adminPassword: String
        public var maintainerEmail: String
        public var developerEmail: String
        /// The three demo users share one generated password.
        public var userPassword: String
        public var apiKey: String
        public var applicationID: UUID
        public var echoVersionID: UUID
        public var goldPlanID: UUID

        /// Shell `KEY=value` lines.
        public var environmentFile: String {
            """
            DEMO_ADMIN_EMAIL=\(adminEmail)
            DEMO_ADMIN_PASSWORD=\(adminPassword)
            DEMO_MAINTAINER_EMAIL=\(maintainerEmail)
            DEMO_DEVELOPER_EMAIL=\(developerEmail)
            DEMO_USER_PASSWORD=\(userPassword)
            DEMO_KEY=\(apiKey)
            DEMO_APP_ID=\(applicationID.uuidString.lowercased())
            DEMO_ECHO_VERSION_ID=\(echoVersionID.uuidString.lowercased())
            DEMO_GOLD_PLAN_ID=\(goldPlanID.uuidString.lowercased())

            """
        }
    }

    let database: Database
    let hasher: PasswordHasher

    public init(database: Database, hasher: PasswordHasher) {
        self.database = database
        self.hasher = hasher
    }

    /// Whether the demo tenant exists already.
    public func isSeeded() async throws -> Bool {
        let logger = database.logger
        return try await database.read { connection in
            try await connection.query("SELECT 1 AS one FROM tenants WHERE slug = 'demo'", logger: logger).first { _ in true } ?? false
        }
    }

    /// Creates the demo; `echoUpstream` is the URL of the echo endpoint the portal serves.
    public func seed(echoUpstream: String) async throws -> Credentials {
        let adminPassword = SecretToken.randomString(bytes: 12)
        let userPassword = SecretToken.randomString(bytes: 12)
        let admin = try await ensurePlatformAdmin(email: "admin@portico.local", password: adminPassword, displayName: "Portico Admin")
        let tenants = TenantService(database: database, hasher: hasher)
        let tenant = try await tenants.create(
            admin, slug: "demo", name: "Demo Inc.", admin: .init(email: admin.email, displayName: nil, password: nil, role: "admin"))
        let tenantAdmin = try await actor(admin.userID, tenant.id)

        _ = try await tenants.addMember(
            tenantAdmin, tenantID: tenant.id,
            member: .init(email: "maintainer@demo.local", displayName: "Mia Maintainer", password: userPassword, role: "member"))
        _ = try await tenants.addMember(
            tenantAdmin, tenantID: tenant.id,
            member: .init(email: "developer@demo.local", displayName: "Dev Developer", password: userPassword, role: "member"))

        let teams = TeamService(database: database)
        let publishers = try await teams.create(tenantAdmin, slug: "publishers", name: "Publishers", description: "Runs the Echo API")
        let consumers = try await teams.create(tenantAdmin, slug: "consumers", name: "Consumers", description: "Builds apps on our APIs")
        _ = try await teams.addMember(tenantAdmin, teamID: publishers.id, userID: nil, email: "maintainer@demo.local", role: "maintainer")
        _ = try await teams.addMember(tenantAdmin, teamID: consumers.id, userID: nil, email: "developer@demo.local", role: "developer")

        let publishing = PublishingService(database: database)
        let api = try await publishing.createAPI(
            tenantAdmin,
            .init(
                teamID: publishers.id, name: "Echo", slug: "echo",
                description: "Answers every request with what it received: method, path, headers and body. Handy for trying the gateway.",
                tags: ["demo", "echo", "utilities"], visibility: "public"))
        let version = try await publishing.createVersion(
            tenantAdmin, apiID: api.id,
            .init(
                version: "v1", basePath: "/echo/v1",
                routing: RoutingConfig(targets: [.init(url: echoUpstream, weight: 100)], loadBalancing: .roundRobin, retries: 1, stripPrefix: true),
                openAPI: Self.echoOpenAPI))
        _ = try await publishing.publish(tenantAdmin, versionID: version.id)
        let free = try await publishing.createPlan(
            tenantAdmin, apiID: api.id,
            .init(name: "Free", description: "For trying things out", rateLimitPerSecond: 10, rateLimitPerMinute: 300, quotaPerDay: 10_000,
                approvalRequired: false))
        let gold = try await publishing.createPlan(
            tenantAdmin, apiID: api.id,
            .init(name: "Gold", description: "For production traffic; approved by the publishers", rateLimitPerSecond: 200,
                quotaPerMonth: 10_000_000, approvalRequired: true))

        let applications = ApplicationService(database: database)
        let app = try await applications.create(tenantAdmin, teamID: consumers.id, name: "Demo App", description: "The demo consumer")
        _ = try await SubscriptionService(database: database).request(
            tenantAdmin, applicationID: app.id, apiVersionID: version.id, planID: free.id, note: "Demo subscription")
        let key = try await applications.createKey(tenantAdmin, applicationID: app.id, slot: "primary", expiresAt: nil)

        return Credentials(
            adminEmail: admin.email, adminPassword: adminPassword, maintainerEmail: "maintainer@demo.local",
            developerEmail: "developer@demo.local", userPassword: userPassword, apiKey: key.secret, applicationID: app.id,
            echoVersionID: version.id, goldPlanID: gold.id)
    }

    /// Creates a platform admin unless a user with this e-mail exists (then makes it one).
    public func ensurePlatformAdmin(email: String, password: String, displayName: String) async throws -> Actor {
        var validator = Validator()
        validator.check(Validator.isEmail(email), "email", "is not an e-mail address")
        PasswordHasher.validate(password, into: &validator)
        try validator.finish()
        let hash = hasher.hash(password)
        let logger = database.logger
        let id = try await database.transaction { connection in
            let id = try await connection.query(
                """
                INSERT INTO users (email, password_hash, display_name, is_platform_admin) VALUES (\(email), \(hash), \(displayName), true)
                ON CONFLICT ((lower(email))) DO UPDATE SET is_platform_admin = true RETURNING id
                """, logger: logger
            ).first { try $0.get("id", as: UUID.self) }!
            try await connection.query(
                """
                INSERT INTO audit_events (actor_label, action, target_type, target_id) VALUES ('system', 'user.platform_admin_bootstrapped', 'user', \(id.uuidString))
                """, logger: logger)
            return id
        }
        return try await actor(id, nil)
    }

    private func actor(_ userID: UUID, _ tenantID: UUID?) async throws -> Actor {
        let logger = database.logger
        return try await database.read { try await AuthService.loadActor(userID: userID, tenantID: tenantID, on: $0, logger: logger) }
    }

    static let echoOpenAPI = """
        {
          "openapi": "3.1.0",
          "info": {"title": "Echo", "version": "v1", "description": "Returns the request it received."},
          "tags": [{"name": "echo", "description": "Reflect requests"}],
          "paths": {
            "/{path}": {
              "get": {
                "tags": ["echo"], "summary": "Echo a GET request", "operationId": "echoGet",
                "parameters": [
                  {"name": "path", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Any path"},
                  {"name": "q", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Echoed back"}
                ],
                "responses": {"200": {"description": "The request as seen by the upstream",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Echo"}}}}}
              },
              "post": {
                "tags": ["echo"], "summary": "Echo a POST request with its body", "operationId": "echoPost",
                "parameters": [{"name": "path", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": {"description": "The request as seen by the upstream",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Echo"}}}}}
              }
            }
          },
          "components": {"schemas": {"Echo": {"type": "object", "properties": {
            "method": {"type": "string"}, "path": {"type": "string"}, "query": {"type": "string"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}}, "body": {"type": "string"}}}}}
        }
        """
}
