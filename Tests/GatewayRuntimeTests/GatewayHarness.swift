import Configuration
import Domain
import Foundation
import Logging
import ServiceLifecycle
import TestSupport

@testable import GatewayRuntime

/// A published API behind a running gateway, all real: PostgreSQL, the Domain use cases that
/// publish and subscribe, test upstream servers, and the gateway's own listeners on free ports.
final class GatewayHarness: @unchecked Sendable {
    // @unchecked: mutated only by the test that owns the harness, sequentially.
    let database: Database
    let databaseName: String
    let upstreams: [TestUpstream]
    let directory: URL
    var gateway: Gateway!
    var runTask: Task<Void, any Error>?
    var serviceGroup: ServiceGroup?
    var port = 0
    var adminPort = 0
    var tlsPort = 0
    // The world
    var admin: Actor!
    var team: Team!
    var api: API!
    var version: APIVersion!
    var plan: Plan!
    var application: Application!
    var key: IssuedKey!
    var subscription: Subscription!
    var extraSettings: [AbsoluteConfigKey: ConfigValue] = [:]

    var publishing: PublishingService { PublishingService(database: database) }
    var applications: ApplicationService { ApplicationService(database: database) }
    var subscriptions: SubscriptionService { SubscriptionService(database: database) }

    init(database: Database, name: String, upstreams: Int) {
        self.database = database
        self.databaseName = name
        self.upstreams = (0..<upstreams).map { TestUpstream(name: "u\($0)") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-gw-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Runs `body` with a fresh database, started upstreams and (unless `start` is false) a running gateway.
    static func run(
        upstreams: Int = 1, routing: (@Sendable (RoutingConfig) -> RoutingConfig)? = nil, plan: PublishingService.PlanInput = .init(name: "Basic"),
        settings: [AbsoluteConfigKey: ConfigValue] = [:], start: Bool = true, _ body: @Sendable (GatewayHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.withFreshDatabase { database, name in
            let harness = GatewayHarness(database: database, name: name, upstreams: upstreams)
            harness.extraSettings = settings
            for upstream in harness.upstreams { try await upstream.start() }
            do {
                try await harness.seed(routing: routing, plan: plan)
                if start { try await harness.startGateway() }
                try await body(harness)
            } catch {
                await harness.stopGateway()
                for upstream in harness.upstreams { await upstream.shutdown() }
                throw error
            }
            await harness.stopGateway()
            for upstream in harness.upstreams { await upstream.shutdown() }
            try? FileManager.default.removeItem(at: harness.directory)
        }
    }

    func seed(routing: (@Sendable (RoutingConfig) -> RoutingConfig)?, plan planInput: PublishingService.PlanInput) async throws {
        let hasher = PasswordHasher(cost: 4)
        let seeder = DemoSeeder(database: database, hasher: hasher)
        let platform = try await seeder.ensurePlatformAdmin(email: "root@test.io", password: "root-password-1", displayName: "Root")
        let tenant = try await TenantService(database: database, hasher: hasher).create(
            platform, slug: "acme", name: "Acme", admin: .init(email: "admin@acme.io", displayName: "Admin", password: "admin-password-1", role: "admin"))
        admin = try await actor(email: "admin@acme.io", tenant: tenant.id)
        team = try await TeamService(database: database).create(admin, slug: "core", name: "Core", description: "")
        admin = try await actor(email: "admin@acme.io", tenant: tenant.id)
        api = try await publishing.createAPI(admin, .init(teamID: team.id, name: "Orders", slug: "orders", visibility: "tenant"))
        var config = RoutingConfig(targets: upstreams.map { .init(url: $0.url, weight: 100) }, retries: 1)
        if let routing { config = routing(config) }
        version = try await publishing.createVersion(admin, apiID: api.id, .init(version: "v1", basePath: "/orders/v1", routing: config))
        version = try await publishing.publish(admin, versionID: version.id)
        plan = try await publishing.createPlan(admin, apiID: api.id, planInput)
        application = try await applications.create(admin, teamID: team.id, name: "Shop", description: "")
        key = try await applications.createKey(admin, applicationID: application.id, slot: "primary", expiresAt: nil)
        subscription = try await subscriptions.request(admin, applicationID: application.id, apiVersionID: version.id, planID: plan.id, note: nil)
        if subscription.state == .pending {
            subscription = try await subscriptions.decide(admin, id: subscription.id, action: .approve, reason: nil)
        }
    }

    func actor(email: String, tenant: UUID) async throws -> Actor {
        let logger = database.logger
        return try await database.read { connection in
            let id = try await connection.query("SELECT id FROM users WHERE email = \(email)", logger: logger).collect().first!.decode(UUID.self)
            return try await AuthService.loadActor(userID: id, tenantID: tenant, on: connection, logger: logger)
        }
    }

    var settingsValues: [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [
            "portico.database.url": .init(.string("postgres://\(TestDatabase.shared.user)@\(TestDatabase.shared.host):\(TestDatabase.shared.port)/\(databaseName)"), isSecret: true),
            "portico.gateway.port": 0, "portico.gateway.admin.port": 0, "portico.gateway.tls.port": 0, "portico.gateway.threads": 2,
            "portico.gateway.snapshot.path": .init(.string(directory.appendingPathComponent("snapshot.json").path), isSecret: false),
            "portico.gateway.spool.dir": .init(.string(directory.appendingPathComponent("spool").path), isSecret: false),
            "portico.gateway.quota.flush.ms": 200, "portico.gateway.shutdown.grace.seconds": 3,
        ]
        values.merge(extraSettings) { $1 }
        return values
    }

    /// `listening`: also wait until the gateway LISTENs for config changes (not when the database is cut).
    func startGateway(listening: Bool = true) async throws {
        let settings = GatewaySettings(reader: ConfigReader(provider: InMemoryProvider(values: settingsValues)))
        var logger = Logger(label: "test.gateway")
        logger.logLevel = ProcessInfo.processInfo.environment["GATEWAY_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        gateway = try Gateway.build(settings: settings, logger: logger)
        let group = gateway.makeServiceGroup(signals: false)
        serviceGroup = group
        runTask = Task { try await group.run() }
        port = try await gateway.ports.wait("http")
        adminPort = try await gateway.ports.wait("admin")
        if !settings.tlsCertificates.isEmpty { tlsPort = try await gateway.ports.wait("https") }
        try await waitUntil("the gateway loaded its configuration") { self.gateway.shared.config.isLoaded }
        // Otherwise a change made in the first moments is seen only at the next poll (a second later).
        if listening { try await waitUntil("the gateway listens for config changes") { self.gateway.shared.listeningForChanges.load(ordering: .relaxed) } }
    }

    func stopGateway() async {
        guard let serviceGroup else { return }
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await runTask?.value
        try? await gateway.group.shutdownGracefully()
        self.serviceGroup = nil
        runTask = nil
    }

    /// Requests through the gateway with the subscription key.
    func call(_ path: String = "/orders/v1/items", method: String = "GET", key: String? = nil, headers: [String: String] = [:], body: Data? = nil)
        throws -> RawHTTPConnection.Response
    {
        var headers = headers
        headers["X-API-Key"] = key ?? self.key.secret
        return try rawRequest(port: port, method, path, headers: headers, body: body)
    }

    func waitUntil(_ what: String, timeout: Duration = .seconds(5), _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError.timeout(what)
    }

    /// The config revision the gateway runs on now.
    var gatewayRevision: Int64 { gateway.shared.config.config.revision }

    enum HarnessError: Error { case timeout(String) }
}
