import Domain
import Foundation
import Logging
import NIOPosix
import PostgresNIO

/// Real PostgreSQL databases for tests. `make test` starts a throwaway cluster and exports its URL;
/// the first caller migrates a template database once, every test then gets its own copy
/// (`CREATE DATABASE … TEMPLATE`, a file copy that takes milliseconds).
public actor TestDatabase {
    public static let shared = TestDatabase()

    /// Created once; the actor is reentrant across awaits, so concurrent callers share this task.
    private var templateTask: Task<String, any Error>?
    private var counter = 0
    public nonisolated let logger: Logger = {
        var logger = Logger(label: "test.postgres")
        logger.logLevel = .warning
        return logger
    }()

    /// `postgres://user@host:port/db` from `PORTICO_TEST_DATABASE_URL`.
    public nonisolated var serverURL: URLComponents {
        guard let raw = ProcessInfo.processInfo.environment["PORTICO_TEST_DATABASE_URL"], let url = URLComponents(string: raw) else {
            fatalError("PORTICO_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL.")
        }
        return url
    }

    public nonisolated var host: String { serverURL.host ?? "127.0.0.1" }
    public nonisolated var port: Int { serverURL.port ?? 5432 }
    public nonisolated var user: String { serverURL.user ?? "postgres" }

    public nonisolated func configuration(database: String) -> PostgresClient.Configuration {
        PostgresClient.Configuration(host: host, port: port, username: user, password: serverURL.password, database: database, tls: .disable)
    }

    /// The repository's `sql/` directory.
    public static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sql")
    }

    /// Creates a fresh, migrated database and returns its name.
    public func createDatabase() async throws -> String {
        let template = try await migratedTemplate()
        counter += 1
        let name = "t_\(ProcessInfo.processInfo.processIdentifier)_\(counter)"
        // The template's migration connections close asynchronously; PostgreSQL refuses to copy a
        // database somebody is connected to (55006), so retry briefly.
        var attempt = 0
        while true {
            do {
                try await withAdminConnection { connection in
                    try await connection.query("DROP DATABASE IF EXISTS \(unescaped: name)", logger: logger)
                    try await connection.query("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: template) STRATEGY = file_copy", logger: logger)
                }
                return name
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 50 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// An empty database without migrations (for migration-runner tests).
    public func createEmptyDatabase() async throws -> String {
        counter += 1
        let name = "e_\(ProcessInfo.processInfo.processIdentifier)_\(counter)"
        try await withAdminConnection { connection in
            try await connection.query("DROP DATABASE IF EXISTS \(unescaped: name)", logger: logger)
            try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        }
        return name
    }

    public func dropDatabase(_ name: String) async {
        try? await withAdminConnection { connection in
            try await connection.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger)
        }
    }

    private func migratedTemplate() async throws -> String {
        if let templateTask { return try await templateTask.value }
        let task = Task { try await self.createTemplate() }
        templateTask = task
        return try await task.value
    }

    private func createTemplate() async throws -> String {
        let name = "tpl_\(ProcessInfo.processInfo.processIdentifier)"
        try await withAdminConnection { connection in
            try await connection.query("DROP DATABASE IF EXISTS \(unescaped: name)", logger: logger)
            try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        }
        let migrator = try Migrator(directory: Self.migrationsDirectory)
        try await Self.withClient(configuration(database: name), logger: logger) { client in
            try await migrator.migrate(client: client, logger: logger)
        }
        return name
    }

    private func withAdminConnection(_ body: (PostgresConnection) async throws -> Void) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: host, port: port, username: user, password: serverURL.password, database: "postgres", tls: .disable),
            id: 1, logger: logger)
        do {
            try await body(connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs `body` with a running `PostgresClient` and shuts the client down afterwards.
    public static func withClient<T: Sendable>(
        _ configuration: PostgresClient.Configuration, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// A fresh migrated database with a running client, dropped afterwards.
    public static func withFreshDatabase<T: Sendable>(_ body: @Sendable (Database, String) async throws -> T) async throws -> T {
        do {
            return try await _withFreshDatabase(body)
        } catch let error as PSQLError {
            // PSQLError hides its details from `description`; tests need them.
            throw DescribedError(description: String(reflecting: error))
        }
    }

    public struct DescribedError: Error, CustomStringConvertible {
        public var description: String
    }

    private static func _withFreshDatabase<T: Sendable>(_ body: @Sendable (Database, String) async throws -> T) async throws -> T {
        let name = try await shared.createDatabase()
        do {
            let result = try await withClient(shared.configuration(database: name), logger: shared.logger) { client in
                try await body(Database(client: client, logger: shared.logger), name)
            }
            await shared.dropDatabase(name)
            return result
        } catch {
            await shared.dropDatabase(name)
            throw error
        }
    }
}
