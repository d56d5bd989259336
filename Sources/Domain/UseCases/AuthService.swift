import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Sign-in, sessions, personal API tokens and resolving a credential to an `Actor`.
public struct AuthService: Sendable {
    /// A signed-in browser or automation session.
    public struct Session: Sendable {
        /// The bearer token (also the cookie value); shown only in the login response.
        public var token: String
        public var csrfToken: String
        public var expiresAt: Date
        public var actor: Actor
    }

    /// How a request authenticated; cookie sessions must also present the CSRF token for writes.
    public struct Authentication: Sendable {
        public var actor: Actor
        public var csrfToken: String?
    }

    public struct PersonalAccessToken: Sendable, Equatable, Codable {
        public var id: UUID
        public var name: String
        public var prefix: String
        public var tenantID: UUID?
        public var expiresAt: Date?
        public var lastUsedAt: Date?
        public var revokedAt: Date?
        public var createdAt: Date
    }

    public struct Profile: Sendable {
        public var user: User
        public var tenantID: UUID?
        public var tenantRole: TenantRole?
        public var tenants: [TenantMembership]
        public var teams: [(team: Team, role: TeamRole)]
    }

    let database: Database
    let hasher: PasswordHasher
    let cache: CredentialCache
    public var sessionLifetime: TimeInterval
    /// Failed sign-ins allowed per address within `throttleWindow` before it is locked for `lockDuration`.
    public var maxFailedLogins: Int
    public var throttleWindow: TimeInterval = 15 * 60
    public var lockDuration: TimeInterval = 5 * 60

    /// A valid bcrypt hash of a random string: verifying unknown e-mail addresses against it keeps
    /// the response time the same as for known ones, so timing does not reveal who has an account.
    private let decoyHash: String

    public init(database: Database, hasher: PasswordHasher, sessionLifetime: TimeInterval = 12 * 3600, maxFailedLogins: Int = 5) {
        self.database = database
        self.cache = .shared
        self.hasher = hasher
        self.sessionLifetime = sessionLifetime
        self.maxFailedLogins = maxFailedLogins
        self.decoyHash = hasher.hash(SecretToken.randomString())
    }

    // MARK: Login

    public func login(email: String?, password: String?, tenantSlug: String?, requestID: String?, clientIP: String?) async throws -> Session {
        var validator = Validator()
        let email = validator.text(email, "email", max: 320) ?? ""
        validator.check(password != nil && !(password ?? "").isEmpty, "password", "is required")
        try validator.finish()
        let emailKey = email.lowercased()
        let logger = database.logger

        if let lockedUntil = try await database.read({ connection in
            try await connection.query(
                "SELECT locked_until FROM login_throttle WHERE email_lower = \(emailKey) AND locked_until > now()", logger: logger
            ).first { try $0.get("locked_until", as: Date.self) }
        }) {
            throw DomainError.rateLimited(
                retryAfterSeconds: max(1, Int(lockedUntil.timeIntervalSinceNow.rounded(.up))),
                message: "Too many failed sign-in attempts for this account. Try again later.")
        }

        let candidate = try await database.read { connection in
            try await connection.query(
                "SELECT id, password_hash FROM users WHERE lower(email) = \(emailKey)", logger: logger
            ).first { (try $0.get("id", as: UUID.self), try $0.get("password_hash", as: String.self)) }
        }
        let passwordMatches = hasher.verify(password ?? "", hash: candidate?.1 ?? decoyHash)
        guard let userID = candidate?.0, passwordMatches else {
            try await recordFailedLogin(emailKey: emailKey, userID: candidate?.0, requestID: requestID, clientIP: clientIP)
            throw DomainError.unauthenticated("The e-mail address or password is not correct.")
        }

        let token = SecretToken.generate(prefix: "ps_")
        let csrf = SecretToken.randomString()
        let expiresAt = Date().addingTimeInterval(sessionLifetime)
        return try await database.transaction { connection in
            try await connection.query("DELETE FROM login_throttle WHERE email_lower = \(emailKey)", logger: logger)
            let tenantID = try await Self.chooseTenant(userID: userID, slug: tenantSlug, on: connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO sessions (token_hash, user_id, tenant_id, csrf_token, expires_at)
                VALUES (\(token.hash.byteBuffer), \(userID), \(tenantID), \(csrf), \(expiresAt))
                """, logger: logger)
            var actor = try await Self.loadActor(userID: userID, tenantID: tenantID, on: connection, logger: logger)
            actor.requestID = requestID
            actor.clientIP = clientIP
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "auth.login", targetType: "user",
                targetID: userID.uuidString)
            return Session(token: token.value, csrfToken: csrf, expiresAt: expiresAt, actor: actor)
        }
    }

    private func recordFailedLogin(emailKey: String, userID: UUID?, requestID: String?, clientIP: String?) async throws {
        let logger = database.logger
        let window = throttleWindow
        let lock = lockDuration
        let maxFailures = maxFailedLogins
        try await database.transaction { connection in
            try await connection.query(
                """
                INSERT INTO login_throttle AS t (email_lower, failures, window_start) VALUES (\(emailKey), 1, now())
                ON CONFLICT (email_lower) DO UPDATE SET
                    failures = CASE WHEN t.window_start < now() - make_interval(secs => \(window)) THEN 1 ELSE t.failures + 1 END,
                    window_start = CASE WHEN t.window_start < now() - make_interval(secs => \(window)) THEN now() ELSE t.window_start END,
                    locked_until = CASE
                        WHEN t.window_start >= now() - make_interval(secs => \(window)) AND t.failures + 1 >= \(maxFailures)
                        THEN now() + make_interval(secs => \(lock)) ELSE NULL END
                """, logger: logger)
            // Only failures against real accounts are audited, with the account's tenants unknown at this point.
            if let userID {
                try await connection.query(
                    """
                    INSERT INTO audit_events (tenant_id, actor_user_id, actor_label, action, target_type, target_id, request_id, client_ip)
                    SELECT m.tenant_id, \(userID), \(emailKey), 'auth.login_failed', 'user', \(userID.uuidString.lowercased()), \(requestID), \(clientIP)
                    FROM tenant_memberships m WHERE m.user_id = \(userID)
                    UNION ALL
                    SELECT NULL, \(userID), \(emailKey), 'auth.login_failed', 'user', \(userID.uuidString.lowercased()), \(requestID), \(clientIP)
                    WHERE NOT EXISTS (SELECT 1 FROM tenant_memberships m WHERE m.user_id = \(userID))
                    """, logger: logger)
            }
        }
    }

    /// The tenant a new session acts in: the one named, or the user's oldest membership.
    static func chooseTenant(userID: UUID, slug: String?, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        if let slug, !slug.isEmpty {
            let id = try await connection.query(
                """
                SELECT t.id FROM tenants t JOIN tenant_memberships m ON m.tenant_id = t.id
                WHERE t.slug = \(slug) AND m.user_id = \(userID)
                """, logger: logger
            ).first { try $0.get("id", as: UUID.self) }
            guard let id else { throw DomainError.invalid("tenant", "you are not a member of this tenant") }
            return id
        }
        return try await connection.query(
            "SELECT tenant_id FROM tenant_memberships WHERE user_id = \(userID) ORDER BY created_at, tenant_id LIMIT 1", logger: logger
        ).first { try $0.get("tenant_id", as: UUID.self) }
    }

    /// Loads the user and their roles in `tenantID` (sign-in, token checks, tools and tests).
    public static func loadActor(userID: UUID, tenantID: UUID?, on connection: PostgresConnection, logger: Logger) async throws -> Actor {
        let actor = try await connection.query(
            """
            SELECT \(unescaped: actorColumns) FROM users u
            LEFT JOIN tenant_memberships m ON m.user_id = u.id AND m.tenant_id = \(tenantID)
            WHERE u.id = \(userID)
            """, logger: logger
        ).first { try decodeActor($0, tenantID: tenantID) }
        guard let actor else { throw DomainError.unauthenticated("The account no longer exists.") }
        return actor
    }

    /// The user, their role in the tenant (`m`) and their team roles, in one row, so resolving a
    /// request's caller costs one query.
    static let actorColumns = """
        u.id AS user_id, u.email, u.display_name, u.is_platform_admin, m.role AS tenant_role,
        coalesce((SELECT array_agg(tm.team_id::text || ':' || tm.role) FROM team_memberships tm
                  WHERE tm.user_id = u.id AND tm.tenant_id = m.tenant_id), '{}') AS team_roles
        """

    static func decodeActor(_ row: PostgresRandomAccessRow, tenantID: UUID?) throws -> Actor {
        let tenantRole = try row.get("tenant_role", as: String?.self).flatMap(TenantRole.init(rawValue:))
        var teamRoles: [UUID: TeamRole] = [:]
        for entry in try row.get("team_roles", as: [String].self) {
            let parts = entry.split(separator: ":")
            if parts.count == 2, let team = UUID(uuidString: String(parts[0])), let role = TeamRole(rawValue: String(parts[1])) {
                teamRoles[team] = role
            }
        }
        return Actor(
            userID: try row.get("user_id"), email: try row.get("email"), displayName: try row.get("display_name"),
            isPlatformAdmin: try row.get("is_platform_admin"), tenantID: tenantRole == nil ? nil : tenantID, tenantRole: tenantRole,
            teamRoles: teamRoles)
    }

    // MARK: Authentication

    /// Resolves a session token or personal API token to its actor (one query); nil when it is
    /// unknown, expired or revoked.
    public func authenticate(token: String) async throws -> Authentication? {
        guard token.count <= 256 else { return nil }
        let digest = SecretToken.sha256(token)
        if let cached = cache.get(digest) { return cached }
        let hash = digest.byteBuffer
        let logger = database.logger
        let found: Authentication? = try await database.read { connection in
            if token.hasPrefix("pat_") {
                return try await connection.query(
                    """
                    WITH t AS (
                        UPDATE personal_access_tokens SET last_used_at = now()
                        WHERE token_hash = \(hash) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
                        RETURNING user_id, tenant_id)
                    SELECT t.tenant_id AS session_tenant_id, \(unescaped: Self.actorColumns)
                    FROM t JOIN users u ON u.id = t.user_id
                    LEFT JOIN tenant_memberships m ON m.user_id = u.id AND m.tenant_id = t.tenant_id
                    """, logger: logger
                ).first { row in
                    Authentication(actor: try Self.decodeActor(row, tenantID: try row.get("session_tenant_id")), csrfToken: nil)
                }
            }
            return try await connection.query(
                """
                SELECT s.tenant_id AS session_tenant_id, s.csrf_token, \(unescaped: Self.actorColumns)
                FROM sessions s JOIN users u ON u.id = s.user_id
                LEFT JOIN tenant_memberships m ON m.user_id = u.id AND m.tenant_id = s.tenant_id
                WHERE s.token_hash = \(hash) AND s.expires_at > now()
                """, logger: logger
            ).first { row in
                Authentication(actor: try Self.decodeActor(row, tenantID: try row.get("session_tenant_id")), csrfToken: try row.get("csrf_token"))
            }
        }
        if let found { cache.put(digest, found) }
        return found
    }

    public func logout(token: String, actor: Actor) async throws {
        cache.evict(SecretToken.sha256(token))
        let hash = SecretToken.sha256(token).byteBuffer
        let logger = database.logger
        try await database.transaction { connection in
            try await connection.query("DELETE FROM sessions WHERE token_hash = \(hash)", logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: actor.tenantID, action: "auth.logout", targetType: "user",
                targetID: actor.userID.uuidString)
        }
    }

    public func profile(_ actor: Actor) async throws -> Profile {
        let logger = database.logger
        return try await database.read { connection in
            let user = try await connection.query(
                "SELECT \(unescaped: UserColumns.select) FROM users u WHERE u.id = \(actor.userID)", logger: logger
            ).first(UserColumns.decode)
            guard let user else { throw DomainError.unauthenticated("The account no longer exists.") }
            let tenants = try await connection.query(
                """
                SELECT t.id, t.slug, t.name, t.created_at, m.role FROM tenant_memberships m JOIN tenants t ON t.id = m.tenant_id
                WHERE m.user_id = \(actor.userID) ORDER BY t.name
                """, logger: logger
            ).all { row in
                TenantMembership(tenant: try TenantColumns.decode(row), role: TenantRole(rawValue: try row.get("role")) ?? .member)
            }
            var teams: [(team: Team, role: TeamRole)] = []
            if let tenantID = actor.tenantID {
                teams = try await connection.query(
                    """
                    SELECT \(unescaped: TeamColumns.select), tm.role FROM team_memberships tm JOIN teams t ON t.id = tm.team_id
                    WHERE tm.user_id = \(actor.userID) AND tm.tenant_id = \(tenantID) ORDER BY t.name
                    """, logger: logger
                ).all { row in (try TeamColumns.decode(row), TeamRole(rawValue: try row.get("role")) ?? .developer) }
            }
            return Profile(user: user, tenantID: actor.tenantID, tenantRole: actor.tenantRole, tenants: tenants, teams: teams)
        }
    }

    // MARK: Personal API tokens

    public func createToken(_ actor: Actor, name: String?, expiresAt: Date?) async throws -> (PersonalAccessToken, String) {
        var validator = Validator()
        let name = validator.text(name, "name", max: 100) ?? ""
        if let expiresAt { validator.check(expiresAt > Date(), "expiresAt", "must be in the future") }
        try validator.finish()
        let secret = SecretToken.generate(prefix: "pat_")
        let logger = database.logger
        return try await database.transaction { connection in
            let token = try await connection.query(
                """
                INSERT INTO personal_access_tokens (user_id, tenant_id, name, token_hash, prefix, expires_at)
                VALUES (\(actor.userID), \(actor.tenantID), \(name), \(secret.hash.byteBuffer), \(secret.displayPrefix), \(expiresAt))
                RETURNING \(unescaped: Self.tokenColumns)
                """, logger: logger
            ).first(Self.decodeToken)!
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: actor.tenantID, action: "token.created",
                targetType: "personal_access_token", targetID: token.id.uuidString, after: token)
            return (token, secret.value)
        }
    }

    public func listTokens(_ actor: Actor) async throws -> [PersonalAccessToken] {
        let logger = database.logger
        return try await database.read { connection in
            try await connection.query(
                "SELECT \(unescaped: Self.tokenColumns) FROM personal_access_tokens WHERE user_id = \(actor.userID) ORDER BY id DESC",
                logger: logger
            ).all(Self.decodeToken)
        }
    }

    public func revokeToken(_ actor: Actor, id: UUID) async throws {
        let logger = database.logger
        try await database.transaction { connection in
            let token = try await connection.query(
                """
                UPDATE personal_access_tokens SET revoked_at = coalesce(revoked_at, now())
                WHERE id = \(id) AND user_id = \(actor.userID) RETURNING \(unescaped: Self.tokenColumns)
                """, logger: logger
            ).first(Self.decodeToken)
            guard let token else { throw DomainError.notFound(resource: "token") }
            cache.evictAll()
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: actor.tenantID, action: "token.revoked",
                targetType: "personal_access_token", targetID: id.uuidString, after: token)
        }
    }

    static let tokenColumns = "id, name, prefix, tenant_id, expires_at, last_used_at, revoked_at, created_at"

    static func decodeToken(_ row: PostgresRandomAccessRow) throws -> PersonalAccessToken {
        PersonalAccessToken(
            id: try row.get("id"), name: try row.get("name"), prefix: try row.get("prefix"), tenantID: try row.get("tenant_id"),
            expiresAt: try row.get("expires_at"), lastUsedAt: try row.get("last_used_at"), revokedAt: try row.get("revoked_at"),
            createdAt: try row.get("created_at"))
    }
}
