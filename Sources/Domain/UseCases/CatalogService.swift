import Foundation
import Logging
import PostgresNIO

/// The browsable catalog: APIs with a published (or, on request, deprecated) version that the
/// caller may see. Signed-out callers see public APIs only.
public struct CatalogService: Sendable {
    public struct Entry: Sendable, Equatable {
        public var api: API
        public var tenantSlug: String
        public var latestVersion: VersionSummary
    }

    public struct VersionSummary: Sendable, Equatable {
        public var id: UUID
        public var version: String
        public var state: VersionState
        public var basePath: String
        public var host: String?
        public var sunsetAt: Date?
        public var successorVersionID: UUID?
        public var publishedAt: Date?
        public var hasOpenAPI: Bool
    }

    public struct Detail: Sendable {
        public var entry: Entry
        public var versions: [VersionSummary]
        public var plans: [Plan]
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Turns free text into a prefix tsquery ("ech pay" → "ech:* & pay:*"); nil when there is nothing to search.
    static func prefixQuery(_ text: String?) -> String? {
        guard let text else { return nil }
        let words = text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).prefix(8)
        guard !words.isEmpty else { return nil }
        return words.map { "\($0.prefix(64)):*" }.joined(separator: " & ")
    }

    private static let latestVersionJoin = """
        JOIN LATERAL (
            SELECT v.id AS v_id, v.version AS v_version, v.state AS v_state, v.base_path AS v_base_path, v.host AS v_host,
                   v.sunset_at AS v_sunset_at, v.successor_version_id AS v_successor, v.published_at AS v_published_at,
                   (v.openapi IS NOT NULL) AS v_has_openapi
            FROM api_versions v
            WHERE v.api_id = a.id AND (v.state = 'published' OR (v.state = 'deprecated' AND $1))
            ORDER BY (v.state = 'published') DESC, v.published_at DESC NULLS LAST, v.id DESC LIMIT 1
        ) lv ON true
        """

    /// Searches by text (prefix match on name, tags and description) and tag, ordered by name.
    /// The page is chosen first (walking `apis_catalog_name_idx` in name order); only its rows
    /// are joined with their latest version.
    public func search(_ actor: Actor?, text: String?, tag: String?, includeDeprecated: Bool, page: PageRequest) async throws -> Page<Entry> {
        var query = QueryBuilder("")
        _ = query.bind(includeDeprecated)  // $1, used by the lateral join
        query.append("WITH page AS MATERIALIZED (SELECT a.* FROM apis a WHERE ")
        query.append(includeDeprecated ? "a.catalog_state IS NOT NULL" : "a.catalog_state = 'published'")
        query.append(" AND ")
        query.append(Self.visibilityPredicate(actor, query: &query))
        if let tsQuery = Self.prefixQuery(text) { query.append(" AND a.search @@ to_tsquery('simple', \(query.bind(tsQuery)))") }
        if let tag, !tag.isEmpty { query.append(" AND a.tags @> ARRAY[\(query.bind(tag.lowercased()))]::text[]") }
        if let id = page.cursor?.uuid {
            let placeholder = query.bind(id)
            query.append(" AND (lower(a.name), a.id) > (SELECT lower(name), id FROM apis WHERE id = \(placeholder))")
        }
        query.append(" ORDER BY lower(a.name), a.id LIMIT \(page.limit + 1))")
        query.append(
            """
             SELECT \(APIColumns.select), tn.slug AS tenant_slug, lv.*
            FROM page a JOIN tenants tn ON tn.id = a.tenant_id
            \(Self.latestVersionJoin)
            ORDER BY lower(a.name), a.id
            """)
        let logger = database.logger
        let rows = try await database.read { try await $0.query(query.query, logger: logger).all(Self.decodeEntry) }
        return page.page(rows) { Cursor(id: $0.api.id) }
    }

    /// Tags in use by visible APIs, with counts, for the catalog's tag filter.
    public func tags(_ actor: Actor?) async throws -> [(tag: String, count: Int)] {
        var query = QueryBuilder("SELECT tag, count(*) AS n FROM apis a, unnest(a.tags) AS tag WHERE ")
        query.append(Self.visibilityPredicate(actor, query: &query))
        query.append(" AND a.catalog_state = 'published'")
        query.append(" GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 100")
        let logger = database.logger
        return try await database.read { connection in
            try await connection.query(query.query, logger: logger).all { (try $0.get("tag", as: String.self), try $0.get("n", as: Int.self)) }
        }
    }

    /// One API as the catalog shows it: every non-draft version and the active plans.
    public func detail(_ actor: Actor?, apiID: UUID) async throws -> Detail {
        var query = QueryBuilder("")
        _ = query.bind(true)
        query.append(
            """
            SELECT \(APIColumns.select), tn.slug AS tenant_slug, lv.*
            FROM apis a JOIN tenants tn ON tn.id = a.tenant_id
            \(Self.latestVersionJoin)
            WHERE a.id = 
            """)
        query.append(query.bind(apiID))
        query.append(" AND ")
        query.append(Self.visibilityPredicate(actor, query: &query))
        let logger = database.logger
        return try await database.read { connection in
            guard let entry = try await connection.query(query.query, logger: logger).first(Self.decodeEntry) else {
                throw DomainError.notFound(resource: "API")
            }
            let versions = try await connection.query(
                """
                SELECT v.id AS v_id, v.version AS v_version, v.state AS v_state, v.base_path AS v_base_path, v.host AS v_host,
                       v.sunset_at AS v_sunset_at, v.successor_version_id AS v_successor, v.published_at AS v_published_at,
                       (v.openapi IS NOT NULL) AS v_has_openapi
                FROM api_versions v WHERE v.api_id = \(apiID) AND v.state <> 'draft' ORDER BY v.id
                """, logger: logger
            ).all(Self.decodeVersion)
            let plans = try await connection.query(
                "SELECT \(unescaped: PlanColumns.select) FROM plans p WHERE p.api_id = \(apiID) AND p.state = 'active' ORDER BY p.id",
                logger: logger
            ).all(PlanColumns.decode)
            return Detail(entry: entry, versions: versions, plans: plans)
        }
    }

    /// The OpenAPI document of a visible, non-draft version.
    public func openAPIDocument(_ actor: Actor?, apiID: UUID, versionID: UUID) async throws -> String {
        _ = try await detail(actor, apiID: apiID)
        let logger = database.logger
        let document = try await database.read { connection in
            try await connection.query(
                "SELECT openapi::text AS doc FROM api_versions WHERE id = \(versionID) AND api_id = \(apiID) AND state <> 'draft'",
                logger: logger
            ).first { try $0.get("doc", as: String?.self) }
        }
        guard let document, let document else { throw DomainError.notFound(resource: "OpenAPI document") }
        return document
    }

    /// SQL predicate on alias `a` for what the actor may see; binds go into `query`.
    static func visibilityPredicate(_ actor: Actor?, query: inout QueryBuilder) -> String {
        guard let actor, let tenantID = actor.tenantID else { return "a.visibility = 'public'" }
        let tenant = query.bind(tenantID)
        if actor.isTenantAdmin {
            return "(a.visibility = 'public' OR a.tenant_id = \(tenant))"
        }
        let teams = query.bind(Array(actor.teamRoles.keys))
        return "(a.visibility = 'public' OR (a.tenant_id = \(tenant) AND (a.visibility = 'tenant' OR a.team_id = ANY(\(teams)))))"
    }

    static func decodeVersion(_ row: PostgresRandomAccessRow) throws -> VersionSummary {
        VersionSummary(
            id: try row.get("v_id"), version: try row.get("v_version"), state: VersionState(rawValue: try row.get("v_state")) ?? .draft,
            basePath: try row.get("v_base_path"), host: try row.get("v_host"), sunsetAt: try row.get("v_sunset_at"),
            successorVersionID: try row.get("v_successor"), publishedAt: try row.get("v_published_at"),
            hasOpenAPI: try row.get("v_has_openapi"))
    }

    static func decodeEntry(_ row: PostgresRandomAccessRow) throws -> Entry {
        Entry(api: try APIColumns.decode(row), tenantSlug: try row.get("tenant_slug"), latestVersion: try decodeVersion(row))
    }
}
