import Foundation
import Logging
import PostgresNIO

/// Consumer applications and their API keys. Members of the owning team (and tenant admins)
/// manage them; everyone else gets 404.
public struct ApplicationService: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    var logger: Logger { database.logger }

    public func create(_ actor: Actor, teamID: UUID?, name: String?, description: String?) async throws -> Application {
        let tenantID = try actor.requireTenant()
        var validator = Validator()
        validator.check(teamID != nil, "teamId", "is required")
        let name = validator.text(name, "name") ?? ""
        let description = validator.text(description, "description", required: false, max: 2000) ?? ""
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            _ = try await TeamService.find(id: teamID!, tenantID: tenantID, on: connection, logger: logger)
            guard actor.canDevelop(forTeam: teamID!) else {
                throw DomainError.forbidden("Only members of the team (or tenant admins) create its applications.")
            }
            let id = try await connection.query(
                """
                INSERT INTO applications (tenant_id, team_id, name, description, created_by)
                VALUES (\(tenantID), \(teamID!), \(name), \(description), \(actor.userID)) RETURNING id
                """, logger: logger
            ).first { try $0.get("id", as: UUID.self) }!
            let application = try await Self.find(id: id, actor: actor, on: connection, logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "application.created", targetType: "application",
                targetID: id.uuidString, after: application)
            return application
        }
    }

    /// Applications of the actor's teams (every application of the tenant for admins), newest first.
    public func list(_ actor: Actor, teamID: UUID?, page: PageRequest) async throws -> Page<Application> {
        let tenantID = try actor.requireTenant()
        var query = QueryBuilder("SELECT \(ApplicationColumns.select) FROM applications app WHERE app.tenant_id = ")
        query.append(query.bind(tenantID))
        if !actor.isTenantAdmin { query.append(" AND app.team_id = ANY(\(query.bind(Array(actor.teamRoles.keys))))") }
        if let teamID { query.append(" AND app.team_id = \(query.bind(teamID))") }
        if let after = page.cursor?.uuid { query.append(" AND app.id < \(query.bind(after))") }
        query.append(" ORDER BY app.id DESC LIMIT \(page.limit + 1)")
        let logger = logger
        let rows = try await database.read { try await $0.query(query.query, logger: logger).all(ApplicationColumns.decode) }
        return page.page(rows) { Cursor(id: $0.id) }
    }

    public func get(_ actor: Actor, id: UUID) async throws -> Application {
        let logger = logger
        return try await database.read { try await Self.find(id: id, actor: actor, on: $0, logger: logger) }
    }

    public func update(_ actor: Actor, id: UUID, name: String?, description: String?) async throws -> Application {
        var validator = Validator()
        let name = validator.text(name, "name", required: false)
        let description = validator.text(description, "description", required: false, max: 2000)
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            let before = try await Self.find(id: id, actor: actor, on: connection, logger: logger, lock: true)
            try await connection.query(
                """
                UPDATE applications SET name = coalesce(\(name), name), description = coalesce(\(description), description), updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            let after = try await Self.find(id: id, actor: actor, on: connection, logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: before.tenantID, action: "application.updated",
                targetType: "application", targetID: id.uuidString, before: before, after: after)
            return after
        }
    }

    // MARK: Keys

    public func listKeys(_ actor: Actor, applicationID: UUID, includeRevoked: Bool) async throws -> [APIKey] {
        let logger = logger
        return try await database.read { connection in
            _ = try await Self.find(id: applicationID, actor: actor, on: connection, logger: logger)
            return try await connection.query(
                """
                SELECT \(unescaped: KeyColumns.select) FROM api_keys k
                WHERE k.application_id = \(applicationID) AND (\(includeRevoked) OR k.status <> 'revoked') ORDER BY k.id DESC
                """, logger: logger
            ).all(KeyColumns.decode)
        }
    }

    /// Issues a key into an empty slot. The secret is in the result and nowhere else.
    public func createKey(_ actor: Actor, applicationID: UUID, slot: String?, expiresAt: Date?) async throws -> IssuedKey {
        var validator = Validator()
        let slot = KeySlot(rawValue: slot ?? "primary")
        validator.check(slot != nil, "slot", "must be primary or secondary")
        if let expiresAt { validator.check(expiresAt > Date(), "expiresAt", "must be in the future") }
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            let application = try await Self.find(id: applicationID, actor: actor, on: connection, logger: logger, lock: true)
            let issued = try await Self.insertKey(application: application, slot: slot!, expiresAt: expiresAt, actor: actor, on: connection, logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: application.tenantID, action: "key.created", targetType: "api_key",
                targetID: issued.key.id.uuidString, after: issued.key)
            try await AuditLog.bumpConfigRevision(on: connection, logger: logger)
            return issued
        }
    }

    /// Replaces a key with a new one in the same slot; the old key stops working at once. Rotate
    /// the other slot first (or use both slots) for a change without downtime.
    public func rotateKey(_ actor: Actor, keyID: UUID, expiresAt: Date?) async throws -> IssuedKey {
        if let expiresAt, expiresAt <= Date() { throw DomainError.invalid("expiresAt", "must be in the future") }
        let logger = logger
        return try await database.transaction { connection in
            let (before, application) = try await Self.findKey(id: keyID, actor: actor, on: connection, logger: logger)
            guard before.status != .revoked else {
                throw DomainError.invalidTransition(resource: "API key", currentState: before.status.rawValue, action: "rotate")
            }
            try await connection.query(
                "UPDATE api_keys SET status = 'revoked', revoked_at = now(), updated_at = now() WHERE id = \(keyID)", logger: logger)
            let issued = try await Self.insertKey(
                application: application, slot: before.slot, expiresAt: expiresAt ?? before.expiresAt, actor: actor, on: connection, logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: application.tenantID, action: "key.rotated", targetType: "api_key",
                targetID: keyID.uuidString, before: before, after: issued.key)
            try await AuditLog.bumpConfigRevision(on: connection, logger: logger)
            return issued
        }
    }

    public func disableKey(_ actor: Actor, keyID: UUID) async throws -> APIKey {
        try await changeKeyStatus(actor, keyID: keyID, action: "disable", allowedFrom: [.active], to: .disabled)
    }

    public func enableKey(_ actor: Actor, keyID: UUID) async throws -> APIKey {
        try await changeKeyStatus(actor, keyID: keyID, action: "enable", allowedFrom: [.disabled], to: .active)
    }

    public func revokeKey(_ actor: Actor, keyID: UUID) async throws -> APIKey {
        try await changeKeyStatus(actor, keyID: keyID, action: "revoke", allowedFrom: [.active, .disabled], to: .revoked)
    }

    private func changeKeyStatus(_ actor: Actor, keyID: UUID, action: String, allowedFrom: Set<KeyStatus>, to status: KeyStatus) async throws -> APIKey {
        let logger = logger
        return try await database.transaction { connection in
            let (before, application) = try await Self.findKey(id: keyID, actor: actor, on: connection, logger: logger)
            guard allowedFrom.contains(before.status) else {
                throw DomainError.invalidTransition(resource: "API key", currentState: before.status.rawValue, action: action)
            }
            let after = try await connection.query(
                """
                UPDATE api_keys k SET status = \(status.rawValue), updated_at = now(),
                    revoked_at = CASE WHEN \(status.rawValue) = 'revoked' THEN now() ELSE revoked_at END
                WHERE k.id = \(keyID) RETURNING \(unescaped: KeyColumns.select)
                """, logger: logger
            ).first(KeyColumns.decode)!
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: application.tenantID, action: "key.\(action)d", targetType: "api_key",
                targetID: keyID.uuidString, before: before, after: after)
            try await AuditLog.bumpConfigRevision(on: connection, logger: logger)
            return after
        }
    }

    // MARK: Helpers

    private static func insertKey(
        application: Application, slot: KeySlot, expiresAt: Date?, actor: Actor, on connection: PostgresConnection, logger: Logger
    ) async throws -> IssuedKey {
        let secret = SecretToken.generate(prefix: "pk_")
        let key = try await connection.query(
            """
            INSERT INTO api_keys AS k (tenant_id, application_id, slot, key_hash, prefix, expires_at, created_by)
            VALUES (\(application.tenantID), \(application.id), \(slot.rawValue), \(secret.hash.byteBuffer), \(secret.displayPrefix),
                    \(expiresAt), \(actor.userID))
            RETURNING \(unescaped: KeyColumns.select)
            """, logger: logger
        ).first(KeyColumns.decode)!
        return IssuedKey(key: key, secret: secret.value)
    }

    /// An application the actor may manage (member of its team, or tenant admin); 404 otherwise.
    static func find(id: UUID, actor: Actor, on connection: PostgresConnection, logger: Logger, lock: Bool = false) async throws -> Application {
        let tenantID = try actor.requireTenant()
        let application = try await connection.query(
            """
            SELECT \(unescaped: ApplicationColumns.select) FROM applications app WHERE app.id = \(id) AND app.tenant_id = \(tenantID)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger
        ).first(ApplicationColumns.decode)
        guard let application, actor.canDevelop(forTeam: application.teamID) else { throw DomainError.notFound(resource: "application") }
        return application
    }

    static func findKey(id: UUID, actor: Actor, on connection: PostgresConnection, logger: Logger) async throws -> (APIKey, Application) {
        let tenantID = try actor.requireTenant()
        let key = try await connection.query(
            "SELECT \(unescaped: KeyColumns.select) FROM api_keys k WHERE k.id = \(id) AND k.tenant_id = \(tenantID) FOR UPDATE", logger: logger
        ).first(KeyColumns.decode)
        guard let key else { throw DomainError.notFound(resource: "API key") }
        do {
            return (key, try await find(id: key.applicationID, actor: actor, on: connection, logger: logger))
        } catch DomainError.notFound {
            throw DomainError.notFound(resource: "API key")
        }
    }
}
