import Foundation
import PostgresNIO

// The SELECT list and row decoder of each model, kept together so every query that returns a
// model returns all of it. Table aliases are fixed: u users, t teams, a apis, v api_versions,
// p plans, app applications, k api_keys, s subscriptions.

enum TenantColumns {
    static let select = "t.id, t.slug, t.name, t.created_at"
    static func decode(_ row: PostgresRandomAccessRow) throws -> Tenant {
        Tenant(id: try row.get("id"), slug: try row.get("slug"), name: try row.get("name"), createdAt: try row.get("created_at"))
    }
}

enum UserColumns {
    static let select = "u.id AS user_id, u.email, u.display_name, u.is_platform_admin, u.created_at AS user_created_at"
    static func decode(_ row: PostgresRandomAccessRow) throws -> User {
        User(
            id: try row.get("user_id"), email: try row.get("email"), displayName: try row.get("display_name"),
            isPlatformAdmin: try row.get("is_platform_admin"), createdAt: try row.get("user_created_at"))
    }
}

enum TeamColumns {
    static let select = "t.id, t.tenant_id, t.slug, t.name, t.description, t.created_at"
    static func decode(_ row: PostgresRandomAccessRow) throws -> Team {
        Team(
            id: try row.get("id"), tenantID: try row.get("tenant_id"), slug: try row.get("slug"), name: try row.get("name"),
            description: try row.get("description"), createdAt: try row.get("created_at"))
    }
}

enum APIColumns {
    static let select = """
        a.id, a.tenant_id, a.team_id, (SELECT name FROM teams WHERE id = a.team_id) AS team_name, a.slug, a.name,
        a.description, a.tags, a.visibility, a.created_at, a.updated_at
        """
    static func decode(_ row: PostgresRandomAccessRow) throws -> API {
        API(
            id: try row.get("id"), tenantID: try row.get("tenant_id"), teamID: try row.get("team_id"), teamName: try row.get("team_name"),
            slug: try row.get("slug"), name: try row.get("name"), description: try row.get("description"), tags: try row.get("tags"),
            visibility: Visibility(rawValue: try row.get("visibility")) ?? .team, createdAt: try row.get("created_at"),
            updatedAt: try row.get("updated_at"))
    }
}

enum VersionColumns {
    static let select = """
        v.id, v.tenant_id, v.api_id, v.version, v.host, v.base_path, v.state, v.routing, (v.openapi IS NOT NULL) AS has_openapi,
        v.sunset_at, v.successor_version_id, v.published_at, v.deprecated_at, v.retired_at, v.created_at, v.updated_at
        """
    static func decode(_ row: PostgresRandomAccessRow) throws -> APIVersion {
        APIVersion(
            id: try row.get("id"), tenantID: try row.get("tenant_id"), apiID: try row.get("api_id"), version: try row.get("version"),
            host: try row.get("host"), basePath: try row.get("base_path"), state: VersionState(rawValue: try row.get("state")) ?? .draft,
            routing: try row.get("routing"), hasOpenAPI: try row.get("has_openapi"), sunsetAt: try row.get("sunset_at"),
            successorVersionID: try row.get("successor_version_id"), publishedAt: try row.get("published_at"),
            deprecatedAt: try row.get("deprecated_at"), retiredAt: try row.get("retired_at"), createdAt: try row.get("created_at"),
            updatedAt: try row.get("updated_at"))
    }
}

enum PlanColumns {
    static let select = """
        p.id, p.tenant_id, p.api_id, p.name, p.description, p.rate_limit_per_second, p.rate_limit_per_minute, p.quota_per_day,
        p.quota_per_month, p.approval_required, p.state, p.created_at, p.updated_at
        """
    static func decode(_ row: PostgresRandomAccessRow) throws -> Plan {
        Plan(
            id: try row.get("id"), tenantID: try row.get("tenant_id"), apiID: try row.get("api_id"), name: try row.get("name"),
            description: try row.get("description"), rateLimitPerSecond: try row.get("rate_limit_per_second"),
            rateLimitPerMinute: try row.get("rate_limit_per_minute"), quotaPerDay: try row.get("quota_per_day"),
            quotaPerMonth: try row.get("quota_per_month"), approvalRequired: try row.get("approval_required"),
            state: PlanState(rawValue: try row.get("state")) ?? .closed, createdAt: try row.get("created_at"),
            updatedAt: try row.get("updated_at"))
    }
}

enum ApplicationColumns {
    static let select = """
        app.id, app.tenant_id, app.team_id, (SELECT name FROM teams WHERE id = app.team_id) AS team_name, app.name,
        app.description, app.created_at, app.updated_at
        """
    static func decode(_ row: PostgresRandomAccessRow) throws -> Application {
        Application(
            id: try row.get("id"), tenantID: try row.get("tenant_id"), teamID: try row.get("team_id"), teamName: try row.get("team_name"),
            name: try row.get("name"), description: try row.get("description"), createdAt: try row.get("created_at"),
            updatedAt: try row.get("updated_at"))
    }
}

enum KeyColumns {
    static let select = "k.id, k.tenant_id, k.application_id, k.slot, k.prefix, k.status, k.expires_at, k.created_at, k.revoked_at"
    static func decode(_ row: PostgresRandomAccessRow) throws -> APIKey {
        APIKey(
            id: try row.get("id"), tenantID: try row.get("tenant_id"), applicationID: try row.get("application_id"),
            slot: KeySlot(rawValue: try row.get("slot")) ?? .primary, prefix: try row.get("prefix"),
            status: KeyStatus(rawValue: try row.get("status")) ?? .revoked, expiresAt: try row.get("expires_at"),
            createdAt: try row.get("created_at"), revokedAt: try row.get("revoked_at"))
    }
}

enum SubscriptionColumns {
    /// Joins the names people need to read a subscription without further requests.
    static let from = """
        subscriptions s
        JOIN applications app ON app.id = s.application_id
        JOIN teams ct ON ct.id = app.team_id
        JOIN apis a ON a.id = s.api_id
        JOIN teams pt ON pt.id = a.team_id
        JOIN api_versions v ON v.id = s.api_version_id
        JOIN plans p ON p.id = s.plan_id
        LEFT JOIN users ru ON ru.id = s.requested_by
        LEFT JOIN users du ON du.id = s.decided_by
        """
    static let select = """
        s.id, s.tenant_id, s.application_id, app.name AS application_name, app.team_id, ct.name AS team_name, s.api_id,
        a.name AS api_name, a.team_id AS api_team_id, pt.name AS api_team_name, s.api_version_id, v.version, s.plan_id, p.name AS plan_name, s.state, s.request_note, s.requested_by,
        ru.display_name AS requested_by_name, s.requested_at, s.decided_by, du.display_name AS decided_by_name, s.decided_at,
        s.decision_reason, s.updated_at
        """
    static func decode(_ row: PostgresRandomAccessRow) throws -> Subscription {
        Subscription(
            id: try row.get("id"), tenantID: try row.get("tenant_id"), applicationID: try row.get("application_id"),
            applicationName: try row.get("application_name"), teamID: try row.get("team_id"), teamName: try row.get("team_name"),
            apiID: try row.get("api_id"), apiName: try row.get("api_name"),
            apiTeamID: try row.get("api_team_id"), apiTeamName: try row.get("api_team_name"), apiVersionID: try row.get("api_version_id"),
            version: try row.get("version"), planID: try row.get("plan_id"), planName: try row.get("plan_name"),
            state: SubscriptionState(rawValue: try row.get("state")) ?? .cancelled, requestNote: try row.get("request_note"),
            requestedBy: try row.get("requested_by"), requestedByName: try row.get("requested_by_name"),
            requestedAt: try row.get("requested_at"), decidedBy: try row.get("decided_by"), decidedByName: try row.get("decided_by_name"),
            decidedAt: try row.get("decided_at"), decisionReason: try row.get("decision_reason"), updatedAt: try row.get("updated_at"))
    }
}
