import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// Reads the whole published configuration in one REPEATABLE READ transaction, so routes, keys,
/// subscriptions and the revision all describe the same moment.
public struct GatewayConfigLoader: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Decoded routing per version and its `updated_at`: a published version's routing is
    /// frozen, so a reload decodes only the versions that changed.
    let routingCache = RoutingCache()

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public final class RoutingCache: Sendable {
        let entries = NIOLockedValueBox<[UUID: (Date, RoutingConfig)]>([:])
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
                let config = try await Self.read(connection, logger: logger, cache: routingCache)
                try await connection.query("COMMIT", logger: logger)
                return config
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private static func read(_ connection: PostgresConnection, logger: Logger, cache: RoutingCache) async throws -> GatewayConfig {
        var revision: Int64 = 0
        for try await value in try await connection.query("SELECT revision FROM config_revision WHERE id = 1", logger: logger).decode(Int64.self) {
            revision = value
        }
        let cached = cache.entries.withLockedValue { $0 }
        var fresh: [UUID: (Date, RoutingConfig)] = [:]
        let decoder = JSONDecoder()
        let routes = try await connection.query(
            """
            SELECT v.id, v.api_id, v.tenant_id, a.name AS api_name, v.version, v.host, v.base_path, v.state, v.sunset_at, v.deprecated_at,
                   s.base_path AS successor_base_path, v.updated_at, v.routing::text AS routing_text
            FROM api_versions v JOIN apis a ON a.id = v.api_id
            LEFT JOIN api_versions s ON s.id = v.successor_version_id
            WHERE v.state IN ('published', 'deprecated', 'retired')
            ORDER BY v.id
            """, logger: logger
        ).all { row in
            let id: UUID = try row.get("id")
            let updated: Date = try row.get("updated_at")
            let routing: RoutingConfig
            if let hit = cached[id], hit.0 == updated {
                routing = hit.1
            } else {
                routing = try decoder.decode(RoutingConfig.self, from: Data(try row.get("routing_text", as: String.self).utf8))
            }
            fresh[id] = (updated, routing)
            return GatewayConfig.Route(
                versionID: id, apiID: try row.get("api_id"), tenantID: try row.get("tenant_id"), apiName: try row.get("api_name"),
                version: try row.get("version"), host: try row.get("host"), basePath: try row.get("base_path"),
                state: VersionState(rawValue: try row.get("state")) ?? .retired, sunsetAt: try row.get("sunset_at"),
                deprecatedAt: try row.get("deprecated_at"), successorBasePath: try row.get("successor_base_path"), routing: routing)
        }
        cache.entries.withLockedValue { $0 = fresh }
        let plans = try await connection.query(
            "SELECT id, rate_limit_per_second, rate_limit_per_minute, quota_per_day, quota_per_month FROM plans", logger: logger
        ).all { row in
            GatewayConfig.Plan(
                id: try row.get("id"), rateLimitPerSecond: try row.get("rate_limit_per_second"), rateLimitPerMinute: try row.get("rate_limit_per_minute"),
                quotaPerDay: try row.get("quota_per_day"), quotaPerMonth: try row.get("quota_per_month"))
        }
        // Keys and subscriptions are the bulk (100,000s of rows): each arrives as one text blob of
        // lines, which parses far faster than as many decoded rows.
        let keyText = try await connection.query(
            """
            SELECT coalesce(string_agg(encode(key_hash, 'hex') || ' ' || application_id || ' ' || tenant_id || ' ' || status || ' ' ||
                coalesce(floor(extract(epoch FROM expires_at))::bigint::text, '-') || ' ' || prefix, E'\n'), '') AS lines
            FROM api_keys WHERE status <> 'revoked'
            """, logger: logger
        ).first { try $0.get("lines", as: String.self) } ?? ""
        let keys = try Self.parseKeys(keyText)
        let subscriptionText = try await connection.query(
            """
            SELECT coalesce(string_agg(s.id || ' ' || s.application_id || ' ' || s.api_version_id || ' ' || s.plan_id || ' ' || s.state, E'\n'), '') AS lines
            FROM subscriptions s JOIN api_versions v ON v.id = s.api_version_id
            WHERE s.state IN ('active', 'pending', 'suspended') AND v.state IN ('published', 'deprecated', 'retired')
            """, logger: logger
        ).first { try $0.get("lines", as: String.self) } ?? ""
        let subscriptions = try Self.parseSubscriptions(subscriptionText)
        return GatewayConfig(revision: revision, generatedAt: Date(), routes: routes, plans: plans, keys: keys, subscriptions: subscriptions)
    }

    enum LoadError: Error { case malformedRow(String) }

    static func parseKeys(_ text: String) throws -> [GatewayConfig.Key] {
        var keys: [GatewayConfig.Key] = []
        for line in text.utf8.split(separator: 0x0A) {
            let fields = line.split(separator: 0x20, maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6, let hash = KeyHash(hexBytes: fields[0]), let application = FastUUID.parse(fields[1]),
                let tenant = FastUUID.parse(fields[2])
            else { throw LoadError.malformedRow("key") }
            let status = KeyStatus(rawValue: String(decoding: fields[3], as: UTF8.self)) ?? .disabled
            let expiresText = String(decoding: fields[4], as: UTF8.self)
            let expires = expiresText == "-" ? nil : Int64(expiresText).map { Date(timeIntervalSince1970: TimeInterval($0)) }
            keys.append(.init(hash: hash, prefix: String(decoding: fields[5], as: UTF8.self), applicationID: application, tenantID: tenant, status: status, expiresAt: expires))
        }
        return keys
    }

    static func parseSubscriptions(_ text: String) throws -> [GatewayConfig.Subscription] {
        var subscriptions: [GatewayConfig.Subscription] = []
        for line in text.utf8.split(separator: 0x0A) {
            let fields = line.split(separator: 0x20)
            guard fields.count == 5, let id = FastUUID.parse(fields[0]), let application = FastUUID.parse(fields[1]),
                let version = FastUUID.parse(fields[2]), let plan = FastUUID.parse(fields[3]),
                let state = SubscriptionState(rawValue: String(decoding: fields[4], as: UTF8.self))
            else { throw LoadError.malformedRow("subscription") }
            subscriptions.append(.init(id: id, applicationID: application, versionID: version, planID: plan, state: state))
        }
        return subscriptions
    }
}
