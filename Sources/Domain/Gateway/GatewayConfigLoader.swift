import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
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

    /// The last key and subscription sections, as received and parsed: an unchanged section (the
    /// common case: most reloads change one key or one subscription, not both) is not parsed again,
    /// and handing out the same array lets the compiler see in O(1) that it is unchanged.
    let sectionCache = SectionCache()

    public final class RoutingCache: Sendable {
        let entries = NIOLockedValueBox<[UUID: (Date, RoutingConfig)]>([:])
    }

    public final class SectionCache: Sendable {
        let keys = NIOLockedValueBox<(blob: ByteBuffer, parsed: [GatewayConfig.Key])>((ByteBuffer(), []))
        let subscriptions = NIOLockedValueBox<(blob: ByteBuffer, parsed: [GatewayConfig.Subscription])>((ByteBuffer(), []))

        func parsed<T>(_ blob: ByteBuffer, in box: NIOLockedValueBox<(blob: ByteBuffer, parsed: [T])>, parse: (ByteBuffer) throws -> [T]) rethrows -> [T] {
            let cached = box.withLockedValue { $0 }
            if cached.blob == blob { return cached.parsed }
            let parsed = try parse(blob)
            box.withLockedValue { $0 = (blob, parsed) }
            return parsed
        }
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
                let config = try await Self.read(connection, logger: logger, cache: routingCache, sections: sectionCache)
                try await connection.query("COMMIT", logger: logger)
                return config
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private static func read(_ connection: PostgresConnection, logger: Logger, cache: RoutingCache, sections: SectionCache) async throws -> GatewayConfig {
        var revision: Int64 = 0
        for try await value in try await connection.query("SELECT revision FROM config_revision WHERE id = 1", logger: logger).decode(Int64.self) {
            revision = value
        }
        let cached = cache.entries.withLockedValue { $0 }
        var fresh: [UUID: (Date, RoutingConfig)] = [:]
        let decoder = JSONDecoder()
        let rows = try await connection.query(
            """
            SELECT v.id, v.api_id, v.tenant_id, a.name, v.version, v.host, v.base_path, v.state, v.sunset_at, v.deprecated_at,
                   s.base_path, v.updated_at, v.routing::text
            FROM api_versions v JOIN apis a ON a.id = v.api_id
            LEFT JOIN api_versions s ON s.id = v.successor_version_id
            WHERE v.state IN ('published', 'deprecated', 'retired')
            ORDER BY v.id
            """, logger: logger)
        var routes: [GatewayConfig.Route] = []
        // Decoded by position (10,000s of rows): no per-row lookup of columns by name.
        for try await (id, apiID, tenantID, apiName, version, host, basePath, state, sunsetAt, deprecatedAt, successorBasePath, updated, routingText)
            in rows.decode((UUID, UUID, UUID, String, String, String?, String, String, Date?, Date?, String?, Date, String).self)
        {
            let routing: RoutingConfig
            if let hit = cached[id], hit.0 == updated {
                routing = hit.1
            } else {
                routing = try decoder.decode(RoutingConfig.self, from: Data(routingText.utf8))
            }
            fresh[id] = (updated, routing)
            routes.append(
                GatewayConfig.Route(
                    versionID: id, apiID: apiID, tenantID: tenantID, apiName: apiName, version: version, host: host, basePath: basePath,
                    state: VersionState(rawValue: state) ?? .retired, sunsetAt: sunsetAt, deprecatedAt: deprecatedAt,
                    successorBasePath: successorBasePath, routing: routing))
        }
        cache.entries.withLockedValue { $0 = fresh }
        let plans = try await connection.query(
            "SELECT id, rate_limit_per_second, rate_limit_per_minute, quota_per_day, quota_per_month FROM plans", logger: logger
        ).all { row in
            GatewayConfig.Plan(
                id: try row.get("id"), rateLimitPerSecond: try row.get("rate_limit_per_second"), rateLimitPerMinute: try row.get("rate_limit_per_minute"),
                quotaPerDay: try row.get("quota_per_day"), quotaPerMonth: try row.get("quota_per_month"))
        }
        // Keys and subscriptions are the bulk (100,000s of rows): each arrives as one binary blob of
        // fixed-width records (ids as their 16 bytes, texts with a length), which PostgreSQL builds
        // in half the time of text lines and which parses with no text conversion at all.
        let keyBlob = try await connection.query(
            """
            SELECT coalesce(string_agg(key_hash || uuid_send(application_id) || uuid_send(tenant_id) ||
                int8send(coalesce(floor(extract(epoch FROM expires_at))::bigint, '-9223372036854775808'::bigint)) ||
                int8send(coalesce(floor(extract(epoch FROM revoked_at))::bigint, '-9223372036854775808'::bigint)) ||
                int2send(octet_length(convert_to(status, 'UTF8'))::int2) || convert_to(status, 'UTF8') ||
                int2send(octet_length(convert_to(prefix, 'UTF8'))::int2) || convert_to(prefix, 'UTF8'), ''::bytea), ''::bytea) AS records
            FROM api_keys
            WHERE status <> 'revoked' OR revoked_at > now() - \(Self.revokedKeyDays) * interval '1 day'
            """, logger: logger
        ).first { try $0.get("records", as: ByteBuffer.self) } ?? ByteBuffer()
        let keys = try sections.parsed(keyBlob, in: sections.keys, parse: Self.parseKeys)
        let subscriptionBlob = try await connection.query(
            """
            SELECT coalesce(string_agg(uuid_send(s.id) || uuid_send(s.application_id) || uuid_send(s.api_version_id) || uuid_send(s.plan_id) ||
                int2send(octet_length(convert_to(s.state, 'UTF8'))::int2) || convert_to(s.state, 'UTF8'), ''::bytea), ''::bytea) AS records
            FROM subscriptions s JOIN api_versions v ON v.id = s.api_version_id
            WHERE s.state IN ('active', 'pending', 'suspended') AND v.state IN ('published', 'deprecated', 'retired')
            """, logger: logger
        ).first { try $0.get("records", as: ByteBuffer.self) } ?? ByteBuffer()
        let subscriptions = try sections.parsed(subscriptionBlob, in: sections.subscriptions, parse: Self.parseSubscriptions)
        return GatewayConfig(revision: revision, generatedAt: Date(), routes: routes, plans: plans, keys: keys, subscriptions: subscriptions)
    }

    enum LoadError: Error { case malformedRow(String) }

    /// How long a revoked key is still recognised (answered with `key-revoked`, so a developer
    /// learns what happened to it); older ones are unknown to the gateway and the index stays
    /// bounded however many keys were rotated out.
    public static let revokedKeyDays = 30

    /// Key records: SHA-256 (32 bytes), application id, tenant id (16 each), expiry and
    /// revocation in unix seconds (8 each, Int64.min for none), status and display prefix
    /// (2-byte length, UTF-8).
    static func parseKeys(_ blob: ByteBuffer) throws -> [GatewayConfig.Key] {
        var blob = blob
        var keys: [GatewayConfig.Key] = []
        keys.reserveCapacity(blob.readableBytes / 90)
        while blob.readableBytes > 0 {
            guard let hash = blob.readSlice(length: 32).flatMap(KeyHash.init(buffer:)), let application = blob.readUUIDBytes(),
                let tenant = blob.readUUIDBytes(), let expires = blob.readInteger(as: Int64.self), let revoked = blob.readInteger(as: Int64.self),
                let status = blob.readShortText().flatMap(KeyStatus.init(rawValue:)), let prefix = blob.readShortText()
            else { throw LoadError.malformedRow("key") }
            keys.append(
                .init(
                    hash: hash, prefix: prefix, applicationID: application, tenantID: tenant, status: status,
                    expiresAt: expires == .min ? nil : Date(timeIntervalSince1970: TimeInterval(expires)),
                    revokedAt: revoked == .min ? nil : Date(timeIntervalSince1970: TimeInterval(revoked))))
        }
        return keys
    }

    /// Subscription records: id, application id, version id, plan id (16 bytes each), state (2-byte length, UTF-8).
    static func parseSubscriptions(_ blob: ByteBuffer) throws -> [GatewayConfig.Subscription] {
        var blob = blob
        var subscriptions: [GatewayConfig.Subscription] = []
        subscriptions.reserveCapacity(blob.readableBytes / 72)
        while blob.readableBytes > 0 {
            guard let id = blob.readUUIDBytes(), let application = blob.readUUIDBytes(), let version = blob.readUUIDBytes(), let plan = blob.readUUIDBytes(),
                let state = blob.readShortText().flatMap(SubscriptionState.init(rawValue:))
            else { throw LoadError.malformedRow("subscription") }
            subscriptions.append(.init(id: id, applicationID: application, versionID: version, planID: plan, state: state))
        }
        return subscriptions
    }
}

extension ByteBuffer {
    /// Text preceded by its length as a 2-byte big-endian integer.
    mutating func readShortText() -> String? {
        guard let length = readInteger(as: UInt16.self) else { return nil }
        return readString(length: Int(length))
    }
}
