import Configuration
import Domain
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle

/// Builds the portal: PostgreSQL client, migrations, demo seed, the `/api/v1` router and the
/// static portal pages. Tests call this with an in-memory configuration and a real database.
func buildApplication(reader: ConfigReader, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let settings = PortalSettings(reader: reader)
    let logger = logger ?? {
        var logger = Logger(label: "portico.portal")
        logger.logLevel = settings.logLevel
        return logger
    }()
    let client = PostgresClient(configuration: try DatabaseURL.configuration(settings.databaseURL, maximumConnections: settings.databasePoolSize), backgroundLogger: logger)
    let database = Database(client: client, logger: logger)
    let hasher = PasswordHasher(cost: UInt8(clamping: max(4, min(settings.bcryptCost, 15))))
    let services = Services(
        database: database, hasher: hasher, sessionLifetime: Double(settings.sessionHours) * 3600, maxFailedLogins: settings.maxFailedLogins)

    let router = buildRouter(services: services, settings: settings)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "Portico"),
        services: [client],
        logger: logger)
    app.beforeServerStarts {
        if settings.migrate {
            let migrator = try Migrator(directory: URL(fileURLWithPath: settings.migrationsDirectory))
            try await migrator.migrate(client: client, logger: logger)
        }
        let seeder = DemoSeeder(database: database, hasher: hasher)
        if let email = settings.bootstrapAdminEmail, let password = settings.bootstrapAdminPassword {
            _ = try await seeder.ensurePlatformAdmin(email: email, password: password, displayName: "Platform Admin")
            logger.info("Platform admin ensured", metadata: ["user.email": "\(email)"])
        }
        if settings.seedDemo, try await !seeder.isSeeded() {
            let credentials = try await seeder.seed(echoUpstream: "http://\(settings.host):\(settings.port)/_echo")
            try writeDemoEnvironment(credentials, to: settings.demoEnvironmentFile)
            logger.info("Demo seeded", metadata: ["file": "\(settings.demoEnvironmentFile)"])
        }
    }
    return app
}

func buildRouter(services: Services, settings: PortalSettings) -> Router<PortalContext> {
    let router = Router(context: PortalContext.self)
    let routeTable = RouteTableBox()
    router.add(middleware: ProblemMiddleware(routes: routeTable))
    router.add(middleware: FileMiddleware(settings.publicDirectory, searchForIndexHtml: true))
    router.add(middleware: AuthenticationMiddleware(auth: services.auth))

    router.get("healthz") { _, _ in "ok" }
    EchoController().addRoutes(to: router)

    let api = router.group("api/v1")
    AuthController(services: services, secureCookies: settings.secureCookies).addRoutes(to: api)
    TenantController(services: services).addRoutes(to: api)
    TeamController(services: services).addRoutes(to: api)
    APIController(services: services).addRoutes(to: api)
    CatalogController(services: services, gatewayURL: settings.gatewayURL).addRoutes(to: api)
    ApplicationController(services: services).addRoutes(to: api)
    SubscriptionController(services: services).addRoutes(to: api)
    AuditController(services: services).addRoutes(to: api)
    AnalyticsController(services: services).addRoutes(to: api)
    OpenAPIController().addRoutes(to: api)
    routeTable.set(RouteTable(router.routes.map { ($0.method, $0.path.description) }))
    return router
}

/// Writes the demo credentials for `make run` and the README tour (owner-readable only).
private func writeDemoEnvironment(_ credentials: DemoSeeder.Credentials, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(credentials.environmentFile.utf8).write(to: url, options: .atomic)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
}
