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

    /// The last key and subscription sections, as text and parsed: an unchanged section (the
    /// common case: most reloads change one key or one subscription, not both) is not parsed again,
    /// and handing out the same array lets the compiler see in O(1) that it is unchanged.
    let sectionCache = SectionCache()

    public final class RoutingCache: Sendable {
        let entries = NIOLockedValueBox<[UUID: (Date, RoutingConfig)]>([:])
    }

    public final class SectionCache: Sendable {
        let keys = NIOLockedValueBox<(text: String, parsed: [GatewayConfig.Key])>(("", []))
        let subscriptions = NIOLockedValueBox<(text: String, parsed: [GatewayConfig.Subscription])>(("", []))

        func parsed<T>(_ text: String, in box: NIOLockedValueBox<(text: String, parsed: [T])>, parse: (String) throws -> [T]) rethrows -> [T] {
            let cached = box.withLockedValue { $0 }
            if cached.text == text { return cached.parsed }
            let parsed = try parse(text)
            box.withLockedValue { $0 = (text, parsed) }
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
        let keys = try sections.parsed(keyText, in: sections.keys, parse: Self.parseKeys)
        let subscriptionText = try await connection.query(
            """
            SELECT coalesce(string_agg(s.id || ' ' || s.application_id || ' ' || s.api_version_id || ' ' || s.plan_id || ' ' || s.state, E'\n'), '') AS lines
            FROM subscriptions s JOIN api_versions v ON v.id = s.api_version_id
            WHERE s.state IN ('active', 'pending', 'suspended') AND v.state IN ('published', 'deprecated', 'retired')
            """, logger: logger
        ).first { try $0.get("lines", as: String.self) } ?? ""
        let subscriptions = try sections.parsed(subscriptionText, in: sections.subscriptions, parse: Self.parseSubscriptions)
        return GatewayConfig(revision: revision, generatedAt: Date(), routes: routes, plans: plans, keys: keys, subscriptions: subscriptions)
    }

    enum LoadError: Error { case malformedRow(String) }

    static func parseKeys(_ text: String) throws -> [GatewayConfig.Key] {
        var keys: [GatewayConfig.Key] = []
        try Self.forEachLine(text, fields: 6) { fields in
            guard let hash = KeyHash(hexBytes: fields[0]), let application = FastUUID.parse(fields[1]), let tenant = FastUUID.parse(fields[2]),
                let status = KeyStatus(bytes: fields[3])
            else { throw LoadError.malformedRow("key") }
            let expires: Date?
            if fields[4].count == 1 && fields[4].first == UInt8(ascii: "-") {
                expires = nil
            } else {
                guard let seconds = Self.integer(fields[4]) else { throw LoadError.malformedRow("key") }
                expires = Date(timeIntervalSince1970: TimeInterval(seconds))
            }
            keys.append(.init(hash: hash, prefix: String(decoding: fields[5], as: UTF8.self), applicationID: application, tenantID: tenant, status: status, expiresAt: expires))
        }
        return keys
    }

    static func parseSubscriptions(_ text: String) throws -> [GatewayConfig.Subscription] {
        var subscriptions: [GatewayConfig.Subscription] = []
        try Self.forEachLine(text, fields: 5) { fields in
            guard let id = FastUUID.parse(fields[0]), let application = FastUUID.parse(fields[1]), let version = FastUUID.parse(fields[2]),
                let plan = FastUUID.parse(fields[3]), let state = SubscriptionState(bytes: fields[4])
            else { throw LoadError.malformedRow("subscription") }
            subscriptions.append(.init(id: id, applicationID: application, versionID: version, planID: plan, state: state))
        }
        return subscriptions
    }

    typealias Field = Slice<UnsafeBufferPointer<UInt8>>

    /// Calls `body` with the space-separated fields of every line (the last field takes the rest
    /// of the line), scanning the text once without building arrays of lines or fields.
    private static func forEachLine(_ text: String, fields count: Int, _ body: ([Field]) throws -> Void) throws {
        var text = text
        try text.withUTF8 { bytes in
            var fields: [Field] = []
            fields.reserveCapacity(count)
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
                fields.removeAll(keepingCapacity: true)
                var fieldStart = lineStart
                var position = lineStart
                while position < lineEnd, fields.count < count - 1 {
                    if bytes[position] == 0x20 {
                        fields.append(bytes[fieldStart..<position])
                        fieldStart = position + 1
                    }
                    position += 1
                }
                fields.append(bytes[fieldStart..<lineEnd])
                guard fields.count == count else { throw LoadError.malformedRow("expected \(count) fields") }
                try body(fields)
                lineStart = lineEnd + 1
            }
        }
    }

    private static func integer(_ digits: Field) -> Int64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value: Int64 = 0
        for digit in digits {
            guard digit >= 0x30, digit <= 0x39 else { return nil }
            value = value * 10 + Int64(digit - 0x30)
        }
        return value
    }
}

extension RawRepresentable where RawValue == String {
    /// The case whose raw value is exactly these bytes (short ASCII enum values; no heap allocation).
    init?(bytes: Slice<UnsafeBufferPointer<UInt8>>) {
        self.init(rawValue: String(decoding: bytes, as: UTF8.self))
    }
}
