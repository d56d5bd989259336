import Foundation
import Logging
import PostgresNIO

/// Teams within a tenant and their members. Tenant admins manage every team; a team's
/// maintainers manage its description and members.
public struct TeamService: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func create(_ actor: Actor, slug: String?, name: String?, description: String?) async throws -> Team {
        let tenantID = try actor.requireTenant()
        guard actor.isTenantAdmin else { throw DomainError.forbidden("Only tenant admins create teams.") }
        var validator = Validator()
        let name = validator.text(name, "name") ?? ""
        let slug = validator.slug(slug ?? Validator.slugify(name), "slug") ?? ""
        let description = validator.text(description, "description", required: false, max: 2000) ?? ""
        try validator.finish()
        let logger = database.logger
        return try await database.transaction { connection in
            let team = try await connection.query(
                """
                INSERT INTO teams AS t (tenant_id, slug, name, description) VALUES (\(tenantID), \(slug), \(name), \(description))
                RETURNING \(unescaped: TeamColumns.select)
                """, logger: logger
            ).first(TeamColumns.decode)!
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "team.created", targetType: "team",
                targetID: team.id.uuidString, after: team)
            return team
        }
    }

    public func list(_ actor: Actor, mine: Bool, page: PageRequest) async throws -> Page<Team> {
        let tenantID = try actor.requireTenant()
        var query = QueryBuilder("SELECT \(TeamColumns.select) FROM teams t WHERE t.tenant_id = ")
        query.append(query.bind(tenantID))
        if mine { query.append(" AND t.id IN (SELECT team_id FROM team_memberships WHERE user_id = \(query.bind(actor.userID)))") }
        if let after = page.cursor?.uuid { query.append(" AND t.id > \(query.bind(after))") }
        query.append(" ORDER BY t.id LIMIT \(page.limit + 1)")
        let logger = database.logger
        let rows = try await database.read { try await $0.query(query.query, logger: logger).all(TeamColumns.decode) }
        return page.page(rows) { Cursor(id: $0.id) }
    }

    public func get(_ actor: Actor, id: UUID) async throws -> Team {
        let tenantID = try actor.requireTenant()
        let logger = database.logger
        return try await database.read { try await Self.find(id: id, tenantID: tenantID, on: $0, logger: logger) }
    }

    public func update(_ actor: Actor, id: UUID, name: String?, description: String?) async throws -> Team {
        let tenantID = try actor.requireTenant()
        guard actor.canMaintain(team: id) else { throw try await forbiddenOrNotFound(id: id, tenantID: tenantID) }
        var validator = Validator()
        let name = validator.text(name, "name", required: false)
        let description = validator.text(description, "description", required: false, max: 2000)
        try validator.finish()
        let logger = database.logger
        return try await database.transaction { connection in
            let before = try await Self.find(id: id, tenantID: tenantID, on: connection, logger: logger, lock: true)
            let after = try await connection.query(
                """
                UPDATE teams t SET name = coalesce(\(name), name), description = coalesce(\(description), description), updated_at = now()
                WHERE t.id = \(id) RETURNING \(unescaped: TeamColumns.select)
                """, logger: logger
            ).first(TeamColumns.decode)!
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "team.updated", targetType: "team",
                targetID: id.uuidString, before: before, after: after)
            return after
        }
    }

    /// Deletes a team that owns no APIs and no applications.
    public func delete(_ actor: Actor, id: UUID) async throws {
        let tenantID = try actor.requireTenant()
        guard actor.isTenantAdmin else { throw try await forbiddenOrNotFound(id: id, tenantID: tenantID) }
        let logger = database.logger
        try await database.transaction { connection in
            let before = try await Self.find(id: id, tenantID: tenantID, on: connection, logger: logger, lock: true)
            let owned = try await connection.query(
                "SELECT (SELECT count(*) FROM apis WHERE team_id = \(id)) + (SELECT count(*) FROM applications WHERE team_id = \(id)) AS n",
                logger: logger
            ).first { try $0.get("n", as: Int.self) } ?? 0
            if owned > 0 { throw DomainError.conflict("The team still owns APIs or applications; move or delete them first.") }
            try await connection.query("DELETE FROM teams WHERE id = \(id)", logger: logger)
            CredentialCache.shared.evictAll()
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "team.deleted", targetType: "team",
                targetID: id.uuidString, before: before)
        }
    }

    // MARK: Members

    public func listMembers(_ actor: Actor, teamID: UUID, page: PageRequest) async throws -> Page<TeamMember> {
        let tenantID = try actor.requireTenant()
        let logger = database.logger
        return try await database.read { connection in
            _ = try await Self.find(id: teamID, tenantID: tenantID, on: connection, logger: logger)
            var query = QueryBuilder(
                """
                SELECT tm.team_id, tm.role, tm.created_at AS joined_at, \(UserColumns.select)
                FROM team_memberships tm JOIN users u ON u.id = tm.user_id WHERE tm.team_id = 
                """)
            query.append(query.bind(teamID))
            if let after = page.cursor?.uuid { query.append(" AND u.id > \(query.bind(after))") }
            query.append(" ORDER BY u.id LIMIT \(page.limit + 1)")
            let rows = try await connection.query(query.query, logger: logger).all(Self.decodeMember)
            return page.page(rows) { Cursor(id: $0.user.id) }
        }
    }

    /// Adds a member of the tenant (by user id or e-mail) to the team.
    public func addMember(_ actor: Actor, teamID: UUID, userID: UUID?, email: String?, role: String?) async throws -> TeamMember {
        let tenantID = try actor.requireTenant()
        guard actor.canMaintain(team: teamID) else { throw try await forbiddenOrNotFound(id: teamID, tenantID: tenantID) }
        var validator = Validator()
        let role = TeamRole(rawValue: role ?? "developer")
        validator.check(role != nil, "role", "must be one of: maintainer, developer")
        validator.check(userID != nil || (email ?? "").isEmpty == false, "userId", "give the user's id or e-mail address")
        try validator.finish()
        let logger = database.logger
        return try await database.transaction { connection in
            _ = try await Self.find(id: teamID, tenantID: tenantID, on: connection, logger: logger)
            let memberID = try await connection.query(
                """
                SELECT u.id FROM users u JOIN tenant_memberships m ON m.user_id = u.id AND m.tenant_id = \(tenantID)
                WHERE u.id = \(userID) OR (\(userID)::uuid IS NULL AND lower(u.email) = lower(\(email ?? "")))
                """, logger: logger
            ).first { try $0.get("id", as: UUID.self) }
            guard let memberID else {
                throw DomainError.invalid(userID != nil ? "userId" : "email", "is not a member of this tenant; add them to the tenant first")
            }
            try await connection.query(
                "INSERT INTO team_memberships (team_id, user_id, tenant_id, role) VALUES (\(teamID), \(memberID), \(tenantID), \(role!.rawValue))",
                logger: logger)
            let member = try await Self.findMember(teamID: teamID, userID: memberID, on: connection, logger: logger)
            CredentialCache.shared.evictAll()
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "team.member_added", targetType: "team",
                targetID: teamID.uuidString, after: member)
            return member
        }
    }

    public func updateMember(_ actor: Actor, teamID: UUID, userID: UUID, role: String?) async throws -> TeamMember {
        let tenantID = try actor.requireTenant()
        guard actor.canMaintain(team: teamID) else { throw try await forbiddenOrNotFound(id: teamID, tenantID: tenantID) }
        guard let role = role.flatMap(TeamRole.init(rawValue:)) else { throw DomainError.invalid("role", "must be one of: maintainer, developer") }
        let logger = database.logger
        return try await database.transaction { connection in
            _ = try await Self.find(id: teamID, tenantID: tenantID, on: connection, logger: logger)
            let before = try await Self.findMember(teamID: teamID, userID: userID, on: connection, logger: logger)
            try await connection.query(
                "UPDATE team_memberships SET role = \(role.rawValue) WHERE team_id = \(teamID) AND user_id = \(userID)", logger: logger)
            var after = before
            after.role = role
            CredentialCache.shared.evictAll()
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "team.member_updated", targetType: "team",
                targetID: teamID.uuidString, before: before, after: after)
            return after
        }
    }

    public func removeMember(_ actor: Actor, teamID: UUID, userID: UUID) async throws {
        let tenantID = try actor.requireTenant()
        guard actor.canMaintain(team: teamID) else { throw try await forbiddenOrNotFound(id: teamID, tenantID: tenantID) }
        let logger = database.logger
        try await database.transaction { connection in
            _ = try await Self.find(id: teamID, tenantID: tenantID, on: connection, logger: logger)
            let before = try await Self.findMember(teamID: teamID, userID: userID, on: connection, logger: logger)
            try await connection.query("DELETE FROM team_memberships WHERE team_id = \(teamID) AND user_id = \(userID)", logger: logger)
            CredentialCache.shared.evictAll()
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "team.member_removed", targetType: "team",
                targetID: teamID.uuidString, before: before)
        }
    }

    // MARK: Helpers

    static func find(id: UUID, tenantID: UUID, on connection: PostgresConnection, logger: Logger, lock: Bool = false) async throws -> Team {
        let team = try await connection.query(
            "SELECT \(unescaped: TeamColumns.select) FROM teams t WHERE t.id = \(id) AND t.tenant_id = \(tenantID) \(unescaped: lock ? "FOR UPDATE" : "")",
            logger: logger
        ).first(TeamColumns.decode)
        guard let team else { throw DomainError.notFound(resource: "team") }
        return team
    }

    static func findMember(teamID: UUID, userID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> TeamMember {
        let member = try await connection.query(
            """
            SELECT tm.team_id, tm.role, tm.created_at AS joined_at, \(unescaped: UserColumns.select)
            FROM team_memberships tm JOIN users u ON u.id = tm.user_id WHERE tm.team_id = \(teamID) AND tm.user_id = \(userID)
            """, logger: logger
        ).first(decodeMember)
        guard let member else { throw DomainError.notFound(resource: "team member") }
        return member
    }

    static func decodeMember(_ row: PostgresRandomAccessRow) throws -> TeamMember {
        TeamMember(
            teamID: try row.get("team_id"), user: try UserColumns.decode(row), role: TeamRole(rawValue: try row.get("role")) ?? .developer,
            joinedAt: try row.get("joined_at"))
    }

    /// 404 when the team is not in the actor's tenant, 403 when it is but the actor lacks the role.
    private func forbiddenOrNotFound(id: UUID, tenantID: UUID) async throws -> DomainError {
        let logger = database.logger
        _ = try await database.read { try await Self.find(id: id, tenantID: tenantID, on: $0, logger: logger) }
        return DomainError.forbidden("You need to be a maintainer of this team or a tenant admin.")
    }
}
