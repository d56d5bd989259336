import Domain
import Foundation
import PostgresNIO
import Testing
import TestSupport

@Suite struct MigratorTests {
    @Test func appliesAllMigrationsOnceAndRecordsChecksums() async throws {
        let database = try await TestDatabase.shared.createEmptyDatabase()
        let migrator = try Migrator(directory: TestDatabase.migrationsDirectory)
        try await TestDatabase.withClient(TestDatabase.shared.configuration(database: database), logger: TestDatabase.shared.logger) { client in
            let first = try await migrator.migrate(client: client, logger: TestDatabase.shared.logger)
            #expect(first == migrator.migrations.map(\.version))
            let second = try await migrator.migrate(client: client, logger: TestDatabase.shared.logger)
            #expect(second.isEmpty)
            let rows = try await client.query("SELECT count(*) FROM schema_migrations").collect()
            #expect(try rows.first?.decode(Int.self) == migrator.migrations.count)
        }
        await TestDatabase.shared.dropDatabase(database)
    }

    @Test func refusesAnEditedAppliedMigration() async throws {
        let database = try await TestDatabase.shared.createEmptyDatabase()
        let original = Migrator(migrations: [
            .init(version: 1, name: "one", sql: "CREATE TABLE one (id int)", checksum: Migrator.checksum("CREATE TABLE one (id int)"))
        ])
        let edited = Migrator(migrations: [
            .init(version: 1, name: "one", sql: "CREATE TABLE one (id bigint)", checksum: Migrator.checksum("CREATE TABLE one (id bigint)"))
        ])
        try await TestDatabase.withClient(TestDatabase.shared.configuration(database: database), logger: TestDatabase.shared.logger) { client in
            try await original.migrate(client: client, logger: TestDatabase.shared.logger)
            await #expect(throws: Migrator.MigrationError.checksumMismatch(version: 1, name: "one")) {
                try await edited.migrate(client: client, logger: TestDatabase.shared.logger)
            }
        }
        await TestDatabase.shared.dropDatabase(database)
    }

    @Test func concurrentRunnersMigrateExactlyOnce() async throws {
        let database = try await TestDatabase.shared.createEmptyDatabase()
        let migrator = try Migrator(directory: TestDatabase.migrationsDirectory)
        try await TestDatabase.withClient(TestDatabase.shared.configuration(database: database), logger: TestDatabase.shared.logger) { client in
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await migrator.migrate(client: client, logger: TestDatabase.shared.logger) } }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(applied.sorted() == migrator.migrations.map(\.version))
        }
        await TestDatabase.shared.dropDatabase(database)
    }

    @Test func failedMigrationLeavesNothingBehind() async throws {
        let database = try await TestDatabase.shared.createEmptyDatabase()
        let broken = Migrator(migrations: [
            .init(version: 1, name: "ok", sql: "CREATE TABLE ok (id int)", checksum: "a"),
            .init(version: 2, name: "broken", sql: "CREATE TABLE broken (id nosuchtype)", checksum: "b"),
        ])
        try await TestDatabase.withClient(TestDatabase.shared.configuration(database: database), logger: TestDatabase.shared.logger) { client in
            await #expect(throws: (any Error).self) { try await broken.migrate(client: client, logger: TestDatabase.shared.logger) }
            let rows = try await client.query("SELECT to_regclass('ok') IS NULL").collect()
            #expect(try rows.first?.decode(Bool.self) == true)
        }
        await TestDatabase.shared.dropDatabase(database)
    }

    @Test func splitsStatementsRespectingQuotesAndDollarBodies() {
        let script = """
            -- comment; not a statement
            CREATE TABLE a (t text DEFAULT 'x;y');
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
            /* block; comment */ SELECT $tag$ ; $tag$, "we;ird";
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 3)
        #expect(statements[1].hasSuffix("END $$"))
    }
}
