import Foundation
import Logging
import PostgresNIO

/// Tenants and their members. Platform admins create tenants; tenant admins manage their own.
public struct TenantService: Sendable {
    /// A user to create (or find, by e-mail) when adding a member.
    public struct NewMember: Sendable {
        public var email: String?
        public var displayName: String?
        public var password: String?
        public var role: String?

        public init(email: String?, displayName: String?, password: String?, role: String?) {
            self.email = email
            self.displayName = displayName
            self.password = password
            self.role = role
        }
    }

    let database: Database
    let hasher: PasswordHasher

    public init(database: Database, hasher: PasswordHasher) {
        self.database = database
        self.hasher = hasher
    }

    public func create(_ actor: Actor, slug: String?, name: String?, admin: NewMember) async throws -> Tenant {
        guard actor.isPlatformAdmin else { throw DomainError.forbidden("Only platform admins create tenants.") }
        var validator = Validator()
        let name = validator.text(name, "name") ?? ""
        let slug = validator.slug(slug ?? Validator.slugify(name), "slug") ?? ""
        let prepared = prepareMember(admin, prefix: "admin.", into: &validator, defaultRole: .admin)
        try validator.finish()
        let logger = database.logger
        return try await database.transaction { connection in
            let tenant = try await connection.query(
                "INSERT INTO tenants AS t (slug, name) VALUES (\(slug), \(name)) RETURNING \(unescaped: TenantColumns.select)", logger: logger
            ).first(TenantColumns.decode)!
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenant.id, action: "tenant.created", targetType: "tenant",
                targetID: tenant.id.uuidString, after: tenant)
            _ = try await addMember(prepared, to: tenant.id, actor: actor, on: connection)
            return tenant
        }
    }

    public func list(_ actor: Actor, page: PageRequest) async throws -> Page<Tenant> {
        var query = QueryBuilder("SELECT \(TenantColumns.select) FROM tenants t WHERE true")
        if !actor.isPlatformAdmin {
            query.append(" AND t.id IN (SELECT tenant_id FROM tenant_memberships WHERE user_id = \(query.bind(actor.userID)))")
        }
        if let after = page.cursor?.uuid { query.append(" AND t.id > \(query.bind(after))") }
        query.append(" ORDER BY t.id LIMIT \(page.limit + 1)")
        let logger = database.logger
        let rows = try await database.read { try await $0.query(query.query, logger: logger).all(TenantColumns.decode) }
        return page.page(rows) { Cursor(id: $0.id) }
    }

    public func get(_ actor: Actor, id: UUID) async throws -> Tenant {
        try checkVisible(actor, tenantID: id)
        let logger = database.logger
        let tenant = try await database.read { connection in
            try await connection.query("SELECT \(unescaped: TenantColumns.select) FROM tenants t WHERE t.id = \(id)", logger: logger)
                .first(TenantColumns.decode)
        }
        guard let tenant else { throw DomainError.notFound(resource: "tenant") }
        return tenant
    }

    public func update(_ actor: Actor, id: UUID, name: String?) async throws -> Tenant {
        try checkAdmin(actor, tenantID: id)
        var validator = Validator()
        let name = validator.text(name, "name")
        try validator.finish()
        let logger = database.logger
        return try await database.transaction { connection in
            guard
                let before = try await connection.query(
                    "SELECT \(unescaped: TenantColumns.select) FROM tenants t WHERE t.id = \(id) FOR UPDATE", logger: logger
                ).first(TenantColumns.decode)
            else { throw DomainError.notFound(resource: "tenant") }
            let after = try await connection.query(
                "UPDATE tenants t SET name = \(name), updated_at = now() WHERE t.id = \(id) RETURNING \(unescaped: TenantColumns.select)",
                logger: logger
            ).first(TenantColumns.decode)!
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: id, action: "tenant.updated", targetType: "tenant",
                targetID: id.uuidString, before: before, after: after)
            return after
        }
    }

    // MARK: Members

    public func listMembers(_ actor: Actor, tenantID: UUID, query text: String?, page: PageRequest) async throws -> Page<TenantMember> {
        try checkVisible(actor, tenantID: tenantID)
        var query = QueryBuilder(
            """
            SELECT \(UserColumns.select), m.role, m.created_at AS joined_at
            FROM tenant_memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = 
            """)
        query.append(query.bind(tenantID))
        if let text, !text.isEmpty {
            let pattern = "%" + text.lowercased().replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            let placeholder = query.bind(pattern)
            query.append(" AND (lower(u.email) LIKE \(placeholder) OR lower(u.display_name) LIKE \(placeholder))")
        }
        if let after = page.cursor?.uuid { query.append(" AND u.id > \(query.bind(after))") }
        query.append(" ORDER BY u.id LIMIT \(page.limit + 1)")
        let logger = database.logger
        let rows = try await database.read { try await $0.query(query.query, logger: logger).all(Self.decodeMember) }
        return page.page(rows) { Cursor(id: $0.user.id) }
    }

    public func addMember(_ actor: Actor, tenantID: UUID, member: NewMember) async throws -> TenantMember {
        try checkAdmin(actor, tenantID: tenantID)
        var validator = Validator()
        let prepared = prepareMember(member, prefix: "", into: &validator, defaultRole: .member)
        try validator.finish()
        return try await database.transaction { connection in
            try await requireExists(tenantID, on: connection)
            return try await addMember(prepared, to: tenantID, actor: actor, on: connection)
        }
    }

    public func updateMember(_ actor: Actor, tenantID: UUID, userID: UUID, role: String?) async throws -> TenantMember {
        try checkAdmin(actor, tenantID: tenantID)
        guard let role = role.flatMap(TenantRole.init(rawValue:)) else {
            throw DomainError.invalid("role", "must be one of: admin, member")
        }
        let logger = database.logger
        return try await database.transaction { connection in
            let before = try await lockMember(tenantID: tenantID, userID: userID, on: connection)
            if before.role == .admin && role != .admin { try await ensureAnotherAdmin(tenantID: tenantID, userID: userID, on: connection) }
            try await connection.query(
                "UPDATE tenant_memberships SET role = \(role.rawValue) WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            var after = before
            after.role = role
            CredentialCache.shared.evictAll()
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "tenant.member_updated", targetType: "user",
                targetID: userID.uuidString, before: before, after: after)
            return after
        }
    }

    public func removeMember(_ actor: Actor, tenantID: UUID, userID: UUID) async throws {
        try checkAdmin(actor, tenantID: tenantID)
        let logger = database.logger
        try await database.transaction { connection in
            let before = try await lockMember(tenantID: tenantID, userID: userID, on: connection)
            if before.role == .admin { try await ensureAnotherAdmin(tenantID: tenantID, userID: userID, on: connection) }
            try await connection.query("DELETE FROM team_memberships WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            try await connection.query("DELETE FROM tenant_memberships WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            try await connection.query("DELETE FROM sessions WHERE tenant_id = \(tenantID) AND user_id = \(userID)", logger: logger)
            CredentialCache.shared.evictAll()
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "tenant.member_removed", targetType: "user",
                targetID: userID.uuidString, before: before)
        }
    }

    // MARK: Helpers

    struct PreparedMember {
        var email: String
        var displayName: String?
        var password: String?
        var role: TenantRole
    }

    private func prepareMember(_ member: NewMember, prefix: String, into validator: inout Validator, defaultRole: TenantRole) -> PreparedMember {
        let email = validator.text(member.email, "\(prefix)email", max: 320) ?? ""
        if !email.isEmpty { validator.check(Validator.isEmail(email), "\(prefix)email", "is not an e-mail address") }
        let displayName = validator.text(member.displayName, "\(prefix)displayName", required: false)
        if let password = member.password { PasswordHasher.validate(password, field: "\(prefix)password", into: &validator) }
        var role = defaultRole
        if let raw = member.role {
            if let parsed = TenantRole(rawValue: raw) { role = parsed } else { validator.add("\(prefix)role", "must be one of: admin, member") }
        }
        return PreparedMember(email: email, displayName: displayName, password: member.password, role: role)
    }

    /// Adds an existing user (found by e-mail) or creates one, which then needs a password.
    private func addMember(_ member: PreparedMember, to tenantID: UUID, actor: Actor, on connection: PostgresConnection) async throws
        -> TenantMember
    {
        let logger = database.logger
        var userID = try await connection.query(
            "SELECT id FROM users WHERE lower(email) = \(member.email.lowercased())", logger: logger
        ).first { try $0.get("id", as: UUID.self) }
        if userID == nil {
            guard let password = member.password else {
                throw DomainError.invalid("password", "is required to create a new user (no account has this e-mail address)")
            }
            let displayName = member.displayName.flatMap { $0.isEmpty ? nil : $0 } ?? String(member.email.split(separator: "@").first ?? "")
            let hash = hasher.hash(password)
            userID = try await connection.query(
                "INSERT INTO users (email, password_hash, display_name) VALUES (\(member.email), \(hash), \(displayName)) RETURNING id",
                logger: logger
            ).first { try $0.get("id", as: UUID.self) }
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "user.created", targetType: "user",
                targetID: userID!.uuidString, after: ["email": member.email, "displayName": displayName])
        }
        try await connection.query(
            "INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES (\(tenantID), \(userID!), \(member.role.rawValue))",
            logger: logger)
        let added = try await lockMember(tenantID: tenantID, userID: userID!, on: connection)
        try await AuditLog.record(
            on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "tenant.member_added", targetType: "user",
            targetID: userID!.uuidString, after: added)
        return added
    }

    private func lockMember(tenantID: UUID, userID: UUID, on connection: PostgresConnection) async throws -> TenantMember {
        let member = try await connection.query(
            """
            SELECT \(unescaped: UserColumns.select), m.role, m.created_at AS joined_at
            FROM tenant_memberships m JOIN users u ON u.id = m.user_id
            WHERE m.tenant_id = \(tenantID) AND m.user_id = \(userID) FOR UPDATE OF m
            """, logger: database.logger
        ).first(Self.decodeMember)
        guard let member else { throw DomainError.notFound(resource: "member") }
        return member
    }

    private func ensureAnotherAdmin(tenantID: UUID, userID: UUID, on connection: PostgresConnection) async throws {
        let others = try await connection.query(
            "SELECT count(*) FROM tenant_memberships WHERE tenant_id = \(tenantID) AND role = 'admin' AND user_id <> \(userID)",
            logger: database.logger
        ).first { try $0.get("count", as: Int.self) } ?? 0
        if others == 0 { throw DomainError.conflict("A tenant needs at least one admin; make someone else admin first.") }
    }

    static func decodeMember(_ row: PostgresRandomAccessRow) throws -> TenantMember {
        TenantMember(user: try UserColumns.decode(row), role: TenantRole(rawValue: try row.get("role")) ?? .member, joinedAt: try row.get("joined_at"))
    }

    /// Members may read their tenant; anyone else gets 404 so tenant ids do not leak.
    private func checkVisible(_ actor: Actor, tenantID: UUID) throws {
        guard actor.isPlatformAdmin || actor.tenantID == tenantID else { throw DomainError.notFound(resource: "tenant") }
    }

    private func requireExists(_ tenantID: UUID, on connection: PostgresConnection) async throws {
        let exists = try await connection.query("SELECT 1 AS one FROM tenants WHERE id = \(tenantID)", logger: database.logger).first { _ in true }
        if exists == nil { throw DomainError.notFound(resource: "tenant") }
    }

    private func checkAdmin(_ actor: Actor, tenantID: UUID) throws {
        try checkVisible(actor, tenantID: tenantID)
        guard actor.isPlatformAdmin || actor.isTenantAdmin else { throw DomainError.forbidden("Only tenant admins manage the tenant.") }
    }
}
