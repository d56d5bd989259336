import Domain

/// The use cases the controllers call, built once per application.
struct Services: Sendable {
    let auth: AuthService
    let tenants: TenantService
    let teams: TeamService
    let publishing: PublishingService
    let catalog: CatalogService
    let applications: ApplicationService
    let subscriptions: SubscriptionService
    let audit: AuditService
    let analytics: AnalyticsService

    init(database: Database, hasher: PasswordHasher, sessionLifetime: Double, maxFailedLogins: Int) {
        auth = AuthService(database: database, hasher: hasher, sessionLifetime: sessionLifetime, maxFailedLogins: maxFailedLogins)
        tenants = TenantService(database: database, hasher: hasher)
        teams = TeamService(database: database)
        publishing = PublishingService(database: database)
        catalog = CatalogService(database: database)
        applications = ApplicationService(database: database)
        subscriptions = SubscriptionService(database: database)
        audit = AuditService(database: database)
        analytics = AnalyticsService(database: database)
    }
}
