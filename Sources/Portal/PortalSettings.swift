import Configuration
import Foundation
import Logging

/// Everything the portal reads from its configuration (environment variables in production,
/// an in-memory provider in tests). Keys are dotted; `portico.database.url` is the environment
/// variable `PORTICO_DATABASE_URL`.
struct PortalSettings: Sendable {
    /// `portico.database.url` (string, default `postgres://postgres@127.0.0.1:54329/portico`, secret).
    var databaseURL: String
    /// `portico.database.pool.size` (int, default 2 per CPU core, at least 4): connections to
    /// PostgreSQL. More only adds backends competing for the same CPUs: on the 2-core bench machine
    /// 4 connections gave the catalog p95 28 ms, 20 gave 62 ms. Requests beyond it queue in the pool.
    var databasePoolSize: Int
    /// `portico.portal.host` (string, default `127.0.0.1`) and `portico.portal.port` (int, default 8080).
    var host: String
    var port: Int
    /// `portico.public.dir` (string, default `public`): the static portal pages.
    var publicDirectory: String
    /// `portico.migrations.dir` (string, default `sql`).
    var migrationsDirectory: String
    /// `portico.migrate` (bool, default true): apply pending migrations at start.
    var migrate: Bool
    /// `portico.seed.demo` (bool, default false): create the demo tenant once; credentials go to `portico.demo.env.file`.
    var seedDemo: Bool
    var demoEnvironmentFile: String
    /// `portico.gateway.url` (string, default `http://127.0.0.1:8000`): shown in the catalog as where to call APIs.
    var gatewayURL: String
    /// `portico.bcrypt.cost` (int, default 11).
    var bcryptCost: Int
    /// `portico.session.hours` (int, default 12).
    var sessionHours: Int
    /// `portico.login.max.failures` (int, default 5): failed sign-ins per address in 15 minutes before a 5-minute lock.
    var maxFailedLogins: Int
    /// `portico.secure.cookies` (bool, default false): set `Secure` on the session cookie (serve over TLS).
    var secureCookies: Bool
    /// `portico.bootstrap.admin.email` / `portico.bootstrap.admin.password` (secret): create this platform admin at start if missing.
    var bootstrapAdminEmail: String?
    var bootstrapAdminPassword: String?
    /// `portico.log.level` (string, default `info`).
    var logLevel: Logger.Level

    init(reader: ConfigReader) {
        databaseURL = reader.string(forKey: "portico.database.url", isSecret: true, default: "postgres://postgres@127.0.0.1:54329/portico")
        databasePoolSize = max(1, reader.int(forKey: "portico.database.pool.size", default: max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)))
        host = reader.string(forKey: "portico.portal.host", default: "127.0.0.1")
        port = reader.int(forKey: "portico.portal.port", default: 8080)
        publicDirectory = reader.string(forKey: "portico.public.dir", default: "public")
        migrationsDirectory = reader.string(forKey: "portico.migrations.dir", default: "sql")
        migrate = reader.bool(forKey: "portico.migrate", default: true)
        seedDemo = reader.bool(forKey: "portico.seed.demo", default: false)
        demoEnvironmentFile = reader.string(forKey: "portico.demo.env.file", default: ".data/demo.env")
        gatewayURL = reader.string(forKey: "portico.gateway.url", default: "http://127.0.0.1:8000")
        bcryptCost = reader.int(forKey: "portico.bcrypt.cost", default: 11)
        sessionHours = reader.int(forKey: "portico.session.hours", default: 12)
        maxFailedLogins = reader.int(forKey: "portico.login.max.failures", default: 5)
        secureCookies = reader.bool(forKey: "portico.secure.cookies", default: false)
        bootstrapAdminEmail = reader.string(forKey: "portico.bootstrap.admin.email")
        bootstrapAdminPassword = reader.string(forKey: "portico.bootstrap.admin.password", isSecret: true)
        logLevel = reader.string(forKey: "portico.log.level").flatMap(Logger.Level.init(rawValue:)) ?? .info
    }
}
