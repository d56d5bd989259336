import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Reads the whole published configuration in one REPEATABLE READ transaction, so routes, keys,
/// subscriptions and the revision all describe the same moment.
public struct GatewayConfigLoader: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The current revision (one indexed row; polled every second).
    public func revision() async throws -> Int64 {
        let rows = try await client.query("SELECT revision FROM config_revision WHERE id = 1", logger: logger)
        for try await revision in rows.decode(Int64.self) { return revision }
        return 0
    }

    public func load() async throws -> GatewayConfig {
        let logger = logger
        return try await client.withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let config = try await Self.read(connection, logger: logger)
                try await connection.query("COMMIT", logger: logger)
                return config
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private static func read(_ connection: PostgresConnection, logger: Logger) async throws -> GatewayConfig {
        var revision: Int64 = 0
        for try await value in try await connection.query("SELECT revision FROM config_revision WHERE id = 1", logger: logger).decode(Int64.self) {
            revision = value
        }
        let routes = try await connection.query(
            """
            SELECT v.id, v.api_id, v.tenant_id, a.name AS api_name, v.version, v.host, v.base_path, v.state, v.sunset_at, v.deprecated_at,
                   s.base_path AS successor_base_path, v.routing
            FROM api_versions v JOIN apis a ON a.id = v.api_id
            LEFT JOIN api_versions s ON s.id = v.successor_version_id
            WHERE v.state IN ('published', 'deprecated', 'retired')
            ORDER BY v.id
            """, logger: logger
        ).all { row in
            GatewayConfig.Route(
                versionID: try row.get("id"), apiID: try row.get("api_id"), tenantID: try row.get("tenant_id"), apiName: try row.get("api_name"),
                version: try row.get("version"), host: try row.get("host"), basePath: try row.get("base_path"),
                state: VersionState(rawValue: try row.get("state")) ?? .retired, sunsetAt: try row.get("sunset_at"),
                deprecatedAt: try row.get("deprecated_at"), successorBasePath: try row.get("successor_base_path"), routing: try row.get("routing"))
        }
        let plans = try await connection.query(
            "SELECT id, rate_limit_per_second, rate_limit_per_minute, quota_per_day, quota_per_month FROM plans", logger: logger
        ).all { row in
            GatewayConfig.Plan(
                id: try row.get("id"), rateLimitPerSecond: try row.get("rate_limit_per_second"), rateLimitPerMinute: try row.get("rate_limit_per_minute"),
                quotaPerDay: try row.get("quota_per_day"), quotaPerMonth: try row.get("quota_per_month"))
        }
        var keys: [GatewayConfig.Key] = []
        for try await (hash, prefix, applicationID, tenantID, status, expiresAt) in try await connection.query(
            "SELECT key_hash, prefix, application_id, tenant_id, status, expires_at FROM api_keys WHERE status <> 'revoked'",
            logger: logger
        ).decode((ByteBuffer, String, UUID, UUID, String, Date?).self) {
            guard let hash = KeyHash(buffer: hash) else { continue }
            keys.append(.init(hash: hash, prefix: prefix, applicationID: applicationID, tenantID: tenantID, status: KeyStatus(rawValue: status) ?? .disabled, expiresAt: expiresAt))
        }
        var subscriptions: [GatewayConfig.Subscription] = []
        for try await (id, applicationID, versionID, planID, state) in try await connection.query(
            """
            SELECT s.id, s.application_id, s.api_version_id, s.plan_id, s.state FROM subscriptions s
            JOIN api_versions v ON v.id = s.api_version_id
            WHERE s.state IN ('active', 'pending', 'suspended') AND v.state IN ('published', 'deprecated', 'retired')
            """, logger: logger
        ).decode((UUID, UUID, UUID, UUID, String).self) {
            subscriptions.append(.init(id: id, applicationID: applicationID, versionID: versionID, planID: planID, state: SubscriptionState(rawValue: state) ?? .pending))
        }
        return GatewayConfig(revision: revision, generatedAt: Date(), routes: routes, plans: plans, keys: keys, subscriptions: subscriptions)
    }
}
