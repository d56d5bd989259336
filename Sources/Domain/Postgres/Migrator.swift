import Crypto
import Foundation
import Logging
import PostgresNIO

/// Applies `sql/NNNN_name.sql` files in order, all in one transaction, under an advisory lock so
/// that several processes starting at once migrate exactly once. Each applied file is recorded
/// with its SHA-256; a file changed after it was applied is refused rather than silently skipped.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String
        public var checksum: String

        public init(version: Int, name: String, sql: String, checksum: String) {
            self.version = version
            self.name = name
            self.sql = sql
            self.checksum = checksum
        }
    }

    public enum MigrationError: Error, CustomStringConvertible, Equatable {
        case badFileName(String)
        case duplicateVersion(Int)
        case checksumMismatch(version: Int, name: String)
        case unknownAppliedMigration(version: Int)

        public var description: String {
            switch self {
            case .badFileName(let name): "Migration file '\(name)' is not named NNNN_description.sql"
            case .duplicateVersion(let version): "Two migration files share version \(version)"
            case .checksumMismatch(let version, let name):
                "Migration \(version) (\(name)) was edited after it was applied; add a new migration instead"
            case .unknownAppliedMigration(let version): "The database has migration \(version), which this build does not know"
            }
        }
    }

    /// Advisory lock key shared by every Portico process ("portico" in ASCII).
    static let lockKey: Int64 = 0x706F_7274_6963_6F

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Loads every `NNNN_*.sql` file of a directory.
    public init(directory: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var loaded: [Migration] = []
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw MigrationError.badFileName(file)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            loaded.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql, checksum: Migrator.checksum(sql)))
        }
        if let duplicate = Dictionary(grouping: loaded, by: \.version).first(where: { $0.value.count > 1 }) {
            throw MigrationError.duplicateVersion(duplicate.key)
        }
        self.init(migrations: loaded)
    }

    public static func checksum(_ sql: String) -> String {
        SHA256.hash(data: Array(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Applies what is missing and returns the versions applied by this call.
    @discardableResult
    public func migrate(client: PostgresClient, logger: Logger) async throws -> [Int] {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Migrator.lockKey))", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now())
                    """, logger: logger)
                var applied: [Int: String] = [:]
                for try await (version, checksum) in try await connection.query(
                    "SELECT version, checksum FROM schema_migrations", logger: logger
                ).decode((Int, String).self) {
                    applied[version] = checksum
                }
                let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
                for (version, checksum) in applied.sorted(by: { $0.key < $1.key }) {
                    guard let migration = known[version] else { throw MigrationError.unknownAppliedMigration(version: version) }
                    guard migration.checksum == checksum else {
                        throw MigrationError.checksumMismatch(version: version, name: migration.name)
                    }
                }
                var newlyApplied: [Int] = []
                for migration in migrations where applied[migration.version] == nil {
                    logger.info("Applying migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
                    for statement in SQLScript.statements(migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                        logger: logger)
                    newlyApplied.append(migration.version)
                }
                return newlyApplied
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.commitError ?? error
        }
    }
}
