import Foundation
import Logging
import PostgresNIO

/// APIs, their versions and plans: what publishers (team maintainers) do. Reads are open to
/// whoever may see the API; writes need a maintainer of the owning team or a tenant admin.
public struct PublishingService: Sendable {
    public struct APIInput: Sendable {
        public var teamID: UUID?
        public var name: String?
        public var slug: String?
        public var description: String?
        public var tags: [String]?
        public var visibility: String?

        public init(teamID: UUID? = nil, name: String? = nil, slug: String? = nil, description: String? = nil, tags: [String]? = nil, visibility: String? = nil) {
            self.teamID = teamID
            self.name = name
            self.slug = slug
            self.description = description
            self.tags = tags
            self.visibility = visibility
        }
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    var logger: Logger { database.logger }

    // MARK: APIs

    public func createAPI(_ actor: Actor, _ input: APIInput) async throws -> API {
        let tenantID = try actor.requireTenant()
        var validator = Validator()
        validator.check(input.teamID != nil, "teamId", "is required")
        let name = validator.text(input.name, "name") ?? ""
        let slug = validator.slug(input.slug ?? Validator.slugify(name), "slug") ?? ""
        let description = validator.text(input.description, "description", required: false, max: 10_000) ?? ""
        let tags = Self.validateTags(input.tags ?? [], into: &validator)
        let visibility = Visibility(rawValue: input.visibility ?? "tenant")
        validator.check(visibility != nil, "visibility", "must be one of: public, tenant, team")
        try validator.finish()
        let teamID = input.teamID!
        let logger = logger
        return try await database.transaction { connection in
            _ = try await TeamService.find(id: teamID, tenantID: tenantID, on: connection, logger: logger)
            guard actor.canMaintain(team: teamID) else {
                throw DomainError.forbidden("Only maintainers of the team (or tenant admins) create its APIs.")
            }
            let id = try await connection.query(
                """
                INSERT INTO apis (tenant_id, team_id, slug, name, description, tags, visibility)
                VALUES (\(tenantID), \(teamID), \(slug), \(name), \(description), \(tags), \(visibility!.rawValue)) RETURNING id
                """, logger: logger
            ).first { try $0.get("id", as: UUID.self) }!
            let api = try await Self.findAPI(id: id, actor: actor, on: connection, logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "api.created", targetType: "api",
                targetID: id.uuidString, after: api)
            return api
        }
    }

    /// APIs of the actor's tenant that the actor may see, newest first.
    public func listAPIs(_ actor: Actor, teamID: UUID?, query text: String?, tag: String?, page: PageRequest) async throws -> Page<API> {
        let tenantID = try actor.requireTenant()
        var query = QueryBuilder("SELECT \(APIColumns.select) FROM apis a WHERE a.tenant_id = ")
        query.append(query.bind(tenantID))
        if !actor.isTenantAdmin {
            query.append(" AND (a.visibility <> 'team' OR a.team_id = ANY(\(query.bind(Array(actor.teamRoles.keys)))))")
        }
        if let teamID { query.append(" AND a.team_id = \(query.bind(teamID))") }
        if let tag, !tag.isEmpty { query.append(" AND a.tags @> ARRAY[\(query.bind(tag.lowercased()))]::text[]") }
        if let tsQuery = CatalogService.prefixQuery(text) { query.append(" AND a.search @@ to_tsquery('simple', \(query.bind(tsQuery)))") }
        if let after = page.cursor?.uuid { query.append(" AND a.id < \(query.bind(after))") }
        query.append(" ORDER BY a.id DESC LIMIT \(page.limit + 1)")
        let logger = logger
        let rows = try await database.read { try await $0.query(query.query, logger: logger).all(APIColumns.decode) }
        return page.page(rows) { Cursor(id: $0.id) }
    }

    public func getAPI(_ actor: Actor, id: UUID) async throws -> API {
        let logger = logger
        return try await database.read { try await Self.findAPI(id: id, actor: actor, on: $0, logger: logger) }
    }

    public func updateAPI(_ actor: Actor, id: UUID, _ input: APIInput) async throws -> API {
        var validator = Validator()
        let name = validator.text(input.name, "name", required: false)
        let description = validator.text(input.description, "description", required: false, max: 10_000)
        let tags = input.tags.map { Self.validateTags($0, into: &validator) }
        let visibility = input.visibility.map { Visibility(rawValue: $0) }
        if let visibility { validator.check(visibility != nil, "visibility", "must be one of: public, tenant, team") }
        validator.check(input.slug == nil, "slug", "cannot be changed: gateway URLs and links depend on it")
        validator.check(input.teamID == nil, "teamId", "cannot be changed")
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            let before = try await Self.findAPI(id: id, actor: actor, on: connection, logger: logger, lock: true)
            try Self.requireMaintainer(actor, of: before)
            try await connection.query(
                """
                UPDATE apis SET name = coalesce(\(name), name), description = coalesce(\(description), description),
                    tags = coalesce(\(tags), tags), visibility = coalesce(\(visibility??.rawValue), visibility), updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            let after = try await Self.findAPI(id: id, actor: actor, on: connection, logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: before.tenantID, action: "api.updated", targetType: "api",
                targetID: id.uuidString, before: before, after: after)
            return after
        }
    }

    /// Deletes an API whose versions were never published (all drafts or none).
    public func deleteAPI(_ actor: Actor, id: UUID) async throws {
        let logger = logger
        try await database.transaction { connection in
            let before = try await Self.findAPI(id: id, actor: actor, on: connection, logger: logger, lock: true)
            try Self.requireMaintainer(actor, of: before)
            let served = try await connection.query(
                "SELECT count(*) AS n FROM api_versions WHERE api_id = \(id) AND state <> 'draft'", logger: logger
            ).first { try $0.get("n", as: Int.self) } ?? 0
            if served > 0 { throw DomainError.conflict("The API has published versions; deprecate and retire them instead of deleting.") }
            try await connection.query("DELETE FROM subscriptions WHERE api_id = \(id)", logger: logger)
            try await connection.query("DELETE FROM apis WHERE id = \(id)", logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: before.tenantID, action: "api.deleted", targetType: "api",
                targetID: id.uuidString, before: before)
        }
    }

    // MARK: Shared helpers

    static func validateTags(_ tags: [String], into validator: inout Validator) -> [String] {
        validator.check(tags.count <= 20, "tags", "may hold at most 20 tags")
        var normalized: [String] = []
        for (index, tag) in tags.enumerated() {
            let value = tag.trimmingCharacters(in: .whitespaces).lowercased()
            if value.isEmpty || value.count > 40 || value.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) {
                validator.add("tags[\(index)]", "must be 1-40 letters, digits, '-', '_' or '.'")
            } else if !normalized.contains(value) {
                normalized.append(value)
            }
        }
        return normalized
    }

    /// Loads an API of the actor's tenant that the actor may see; 404 otherwise.
    static func findAPI(id: UUID, actor: Actor, on connection: PostgresConnection, logger: Logger, lock: Bool = false) async throws -> API {
        let tenantID = try actor.requireTenant()
        let api = try await connection.query(
            "SELECT \(unescaped: APIColumns.select) FROM apis a WHERE a.id = \(id) AND a.tenant_id = \(tenantID) \(unescaped: lock ? "FOR UPDATE" : "")",
            logger: logger
        ).first(APIColumns.decode)
        guard let api, actor.canSee(tenantID: api.tenantID, teamID: api.teamID, visibility: api.visibility) else {
            throw DomainError.notFound(resource: "API")
        }
        return api
    }

    static func requireMaintainer(_ actor: Actor, of api: API) throws {
        guard actor.canMaintain(team: api.teamID) else {
            throw DomainError.forbidden("Only maintainers of the team '\(api.teamName)' (or tenant admins) change this API.")
        }
    }
}
