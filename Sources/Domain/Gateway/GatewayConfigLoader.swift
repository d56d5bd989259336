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

    /// The key and subscription sections of the last load, kept so the next load reads only the
    /// rows that changed since (see `sql/0006_config_changes.sql`). An unchanged section is handed
    /// out as the same array, which lets the compiler see in O(1) that it is unchanged.
    let sectionCache = SectionCache()

    /// Everything is read afresh at least this often (a delta never spans more: removals are kept a day),
    /// which also drops keys whose revocation passed `revokedKeyDays` without any change to them.
    public static let fullLoadInterval: Duration = .seconds(600)

    public final class RoutingCache: Sendable {
        let entries = NIOLockedValueBox<[UUID: (Date, RoutingConfig)]>([:])
    }

    public final class SectionCache: Sendable {
        struct State: Sendable {
            /// The xmin of the snapshot these sections are current to (an `xid8`, as text).
            var xmin: String
            var fullLoadAt: ContinuousClock.Instant
            var routes: [UUID: GatewayConfig.Route]
            /// Ordered by version id (byte order, as PostgreSQL orders uuids): a route's position is its number.
            var routeList: [GatewayConfig.Route]
            var keys: IndexedSection<KeyHash, GatewayConfig.Key>
            var subscriptions: IndexedSection<UUID, GatewayConfig.Subscription>
            var keyList: [GatewayConfig.Key] { keys.list }
            var subscriptionList: [GatewayConfig.Subscription] { subscriptions.list }
        }

        let state = NIOLockedValueBox<State?>(nil)
    }

    /// The current revision (one indexed row; polled every second).
    public func revision() async throws -> Int64 {
        let rows = try await client.query("SELECT revision FROM config_revision WHERE id = 1", logger: logger)
        for try await revision in rows.decode(Int64.self) { return revision }
        return 0
    }

    public func load() async throws -> GatewayConfig {
        try await loadWithChanges().config
    }

    /// What a delta load changed in the key and subscription sections, for a compiler that
    /// patches the indexes it built from `base` instead of building them again.
    public struct SectionChanges<Element: Sendable & Equatable>: Sendable {
        /// The section these changes apply to (the previous load's, the same array).
        public var base: [Element]
        /// Records of `base` that changed or left (as they were).
        public var removed: [Element]
        /// Records new or changed (as they are now).
        public var added: [Element]

        public init(base: [Element], removed: [Element], added: [Element]) {
            self.base = base
            self.removed = removed
            self.added = added
        }
    }

    public struct Changes: Sendable {
        public var keys: SectionChanges<GatewayConfig.Key>
        public var subscriptions: SectionChanges<GatewayConfig.Subscription>

        public init(keys: SectionChanges<GatewayConfig.Key>, subscriptions: SectionChanges<GatewayConfig.Subscription>) {
            self.keys = keys
            self.subscriptions = subscriptions
        }
    }

    /// Loads the configuration; after a delta load also what changed (nil: everything was read afresh).
    public func loadWithChanges() async throws -> (config: GatewayConfig, changes: Changes?) {
        let logger = logger
        return try await client.withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let (config, sections) = try await Self.read(connection, logger: logger, cache: routingCache, previous: sectionCache.state.withLockedValue { $0 })
                try await connection.query("COMMIT", logger: logger)
                // Kept only once the whole load succeeded: a failed one leaves the previous base for the next delta.
                sectionCache.state.withLockedValue { $0 = sections.state }
                return (config, sections.changes)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private static func read(
        _ connection: PostgresConnection, logger: Logger, cache: RoutingCache, previous: SectionCache.State?
    ) async throws -> (GatewayConfig, (state: SectionCache.State, changes: Changes?)) {
        let clock = ContinuousClock()
        let started = clock.now
        func ms(_ duration: Duration) -> Int64 { duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000 }
        var revision: Int64 = 0
        var xmin = ""
        // The first statement takes the transaction's snapshot; its xmin is the base of the next delta.
        for try await (value, snapshotXmin) in try await connection.query(
            "SELECT revision, pg_snapshot_xmin(pg_current_snapshot())::text FROM config_revision WHERE id = 1", logger: logger
        ).decode((Int64, String).self) {
            revision = value
            xmin = snapshotXmin
        }
        let delta = previous.flatMap { ContinuousClock.now - $0.fullLoadAt < fullLoadInterval ? $0 : nil }
        var routes: [UUID: GatewayConfig.Route]
        var routeList: [GatewayConfig.Route]
        if let delta {
            // Versions stamped since, and versions whose successor was (their Link names its base path).
            let changed = try await readRoutes(
                connection,
                """
                v.id IN (SELECT id FROM api_versions WHERE change_xid >= \(delta.xmin)::xid8
                         UNION SELECT id FROM api_versions WHERE successor_version_id IN (SELECT id FROM api_versions WHERE change_xid >= \(delta.xmin)::xid8))
                """, logger: logger, cache: cache, keepCache: true)
            routes = delta.routes
            var touched = false
            for (route, loaded) in changed {
                let old = loaded ? routes.updateValue(route, forKey: route.versionID) : routes.removeValue(forKey: route.versionID)
                if old != (loaded ? route : nil) { touched = true }
            }
            routeList = touched ? routes.values.sorted { Self.precedes($0.versionID, $1.versionID) } : delta.routeList
        } else {
            routeList = try await readRoutes(connection, "v.state IN ('published', 'deprecated', 'retired')", logger: logger, cache: cache, keepCache: false)
                .map(\.route)
            routes = Dictionary(uniqueKeysWithValues: routeList.map { ($0.versionID, $0) })
        }
        let routesRead = clock.now
        var plans: [GatewayConfig.Plan] = []
        // By position: one plan per API makes 10,000s of rows.
        for try await (id, perSecond, perMinute, perDay, perMonth) in try await connection.query(
            "SELECT id, rate_limit_per_second, rate_limit_per_minute, quota_per_day, quota_per_month FROM plans ORDER BY id", logger: logger
        ).decode((UUID, Int?, Int?, Int64?, Int64?).self) {
            plans.append(.init(id: id, rateLimitPerSecond: perSecond, rateLimitPerMinute: perMinute, quotaPerDay: perDay, quotaPerMonth: perMonth))
        }
        let plansRead = clock.now
        let sections: SectionCache.State
        var changes: Changes?
        if let delta {
            (sections, changes) = try await readChanges(connection, logger: logger, since: delta, xmin: xmin, routes: routes, routeList: routeList)
        } else {
            sections = try await readAll(connection, logger: logger, previous: previous, xmin: xmin, routes: routes, routeList: routeList)
        }
        let config = GatewayConfig(
            revision: revision, generatedAt: Date(), routes: routeList, plans: plans, keys: sections.keyList, subscriptions: sections.subscriptionList)
        logger.debug(
            "Configuration read",
            metadata: [
                "config.revision": "\(revision)", "full": "\(changes == nil)", "routes.ms": "\(ms(routesRead - started))",
                "plans.ms": "\(ms(plansRead - routesRead))",
                "sections.ms": "\(ms(clock.now - plansRead))",
            ])
        return (config, (sections, changes))
    }

    /// Route rows matching `condition`, each with whether it belongs in the config (a delta also
    /// returns versions that left it). Routing JSON is decoded only for versions whose `updated_at`
    /// moved since the last read.
    private static func readRoutes(
        _ connection: PostgresConnection, _ condition: PostgresQuery, logger: Logger, cache: RoutingCache, keepCache: Bool
    ) async throws -> [(route: GatewayConfig.Route, loaded: Bool)] {
        let cached = cache.entries.withLockedValue { $0 }
        var fresh: [UUID: (Date, RoutingConfig)] = keepCache ? cached : [:]
        let decoder = JSONDecoder()
        var query: PostgresQuery = """
            SELECT v.id, v.api_id, v.tenant_id, a.name, v.version, v.host, v.base_path, v.state, v.sunset_at, v.deprecated_at,
                   s.base_path, v.updated_at, v.routing::text, v.state IN ('published', 'deprecated', 'retired')
            FROM api_versions v JOIN apis a ON a.id = v.api_id
            LEFT JOIN api_versions s ON s.id = v.successor_version_id
            WHERE
            """
        query.sql += " " + condition.sql + " ORDER BY v.id"
        query.binds = condition.binds
        var routes: [(GatewayConfig.Route, Bool)] = []
        // Decoded by position (10,000s of rows): no per-row lookup of columns by name.
        for try await (id, apiID, tenantID, apiName, version, host, basePath, state, sunsetAt, deprecatedAt, successorBasePath, updated, routingText, loaded)
            in try await connection.query(query, logger: logger).decode(
                (UUID, UUID, UUID, String, String, String?, String, String, Date?, Date?, String?, Date, String, Bool).self)
        {
            let routing: RoutingConfig
            if let hit = cached[id], hit.0 == updated {
                routing = hit.1
            } else {
                routing = try decoder.decode(RoutingConfig.self, from: Data(routingText.utf8))
            }
            fresh[id] = loaded ? (updated, routing) : nil
            routes.append(
                (GatewayConfig.Route(
                    versionID: id, apiID: apiID, tenantID: tenantID, apiName: apiName, version: version, host: host, basePath: basePath,
                    state: VersionState(rawValue: state) ?? .retired, sunsetAt: sunsetAt, deprecatedAt: deprecatedAt,
                    successorBasePath: successorBasePath, routing: routing), loaded))
        }
        cache.entries.withLockedValue { $0 = fresh }
        return routes
    }

    /// PostgreSQL's order of uuids: their bytes, compared as unsigned.
    static func precedes(_ a: UUID, _ b: UUID) -> Bool {
        withUnsafeBytes(of: a.uuid) { a in withUnsafeBytes(of: b.uuid) { b in memcmp(a.baseAddress!, b.baseAddress!, 16) < 0 } }
    }

    // Keys and subscriptions are the bulk (100,000s of rows): each arrives as one binary blob of
    // fixed-width records (ids as their 16 bytes, texts with a length), which PostgreSQL builds in
    // half the time of text lines and which parses with no text conversion at all.
    private static let keyRecord = """
        key_hash || uuid_send(application_id) || uuid_send(tenant_id) ||
        int8send(coalesce(floor(extract(epoch FROM expires_at))::bigint, '-9223372036854775808'::bigint)) ||
        int8send(coalesce(floor(extract(epoch FROM revoked_at))::bigint, '-9223372036854775808'::bigint)) ||
        int2send(octet_length(convert_to(status, 'UTF8'))::int2) || convert_to(status, 'UTF8') ||
        int2send(octet_length(convert_to(prefix, 'UTF8'))::int2) || convert_to(prefix, 'UTF8')
        """
    private static let keyLoaded = "(status <> 'revoked' OR revoked_at > now() - \(revokedKeyDays) * interval '1 day')"
    private static let subscriptionRecord = """
        uuid_send(s.id) || uuid_send(s.application_id) || uuid_send(s.api_version_id) || uuid_send(s.plan_id) ||
        int2send(octet_length(convert_to(s.state, 'UTF8'))::int2) || convert_to(s.state, 'UTF8')
        """
    private static let subscriptionLoaded = "s.state IN ('active', 'pending', 'suspended') AND v.state IN ('published', 'deprecated', 'retired')"

    private static func blob(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> ByteBuffer {
        try await connection.query(query, logger: logger).first { try $0.get("records", as: ByteBuffer.self) } ?? ByteBuffer()
    }

    private static func readAll(
        _ connection: PostgresConnection, logger: Logger, previous: SectionCache.State?, xmin: String, routes: [UUID: GatewayConfig.Route],
        routeList: [GatewayConfig.Route]
    ) async throws -> SectionCache.State {
        let keyBlob = try await blob(
            connection, "SELECT coalesce(string_agg(\(unescaped: keyRecord), ''::bytea), ''::bytea) AS records FROM api_keys WHERE \(unescaped: keyLoaded)",
            logger: logger)
        let subscriptionBlob = try await blob(
            connection,
            """
            SELECT coalesce(string_agg(\(unescaped: subscriptionRecord), ''::bytea), ''::bytea) AS records
            FROM subscriptions s JOIN api_versions v ON v.id = s.api_version_id WHERE \(unescaped: subscriptionLoaded)
            """, logger: logger)
        var keys = IndexedSection(try parseKeys(keyBlob), id: \.hash)
        var subscriptions = IndexedSection(try parseSubscriptions(subscriptionBlob), id: \.id)
        // An unchanged section keeps its array, so the compiler reuses what it built from it.
        if let previous, previous.keys.hasSameRecords(as: keys) { keys = previous.keys }
        if let previous, previous.subscriptions.hasSameRecords(as: subscriptions) { subscriptions = previous.subscriptions }
        return .init(xmin: xmin, fullLoadAt: .now, routes: routes, routeList: routeList, keys: keys, subscriptions: subscriptions)
    }

    /// Rows stamped with a transaction at or above the previous snapshot's xmin: everything that
    /// committed since, and what was still in flight then. Rows that changed but no longer belong
    /// in the config, and deleted ones, come back as removals.
    private static func readChanges(
        _ connection: PostgresConnection, logger: Logger, since previous: SectionCache.State, xmin: String, routes: [UUID: GatewayConfig.Route],
        routeList: [GatewayConfig.Route]
    ) async throws -> (SectionCache.State, Changes) {
        let base = previous.xmin
        // One round trip per section: the changed records, and the ids of records that left
        // (changed so they no longer belong, or deleted) as fixed-width ids.
        let (keyBlob, removedKeyIDs) = try await connection.query(
            """
            SELECT (SELECT coalesce(string_agg(\(unescaped: keyRecord), ''::bytea), ''::bytea) FROM api_keys
                    WHERE change_xid >= \(base)::xid8 AND \(unescaped: keyLoaded)) AS records,
                   (SELECT coalesce(string_agg(id, ''::bytea), ''::bytea) FROM (
                        SELECT key_hash AS id FROM api_keys WHERE change_xid >= \(base)::xid8 AND NOT \(unescaped: keyLoaded)
                        UNION ALL SELECT id FROM config_removals WHERE kind = 'key' AND change_xid >= \(base)::xid8) gone) AS removed
            """, logger: logger
        ).first { (try $0.get("records", as: ByteBuffer.self), try $0.get("removed", as: ByteBuffer.self)) } ?? (ByteBuffer(), ByteBuffer())
        // Subscriptions stamped since, and those of versions stamped since (a version's state decides whether they load).
        let (subscriptionBlob, removedSubscriptionIDs) = try await connection.query(
            """
            WITH changed AS (
                SELECT id FROM subscriptions WHERE change_xid >= \(base)::xid8
                UNION SELECT id FROM subscriptions WHERE api_version_id IN (SELECT id FROM api_versions WHERE change_xid >= \(base)::xid8))
            SELECT (SELECT coalesce(string_agg(\(unescaped: subscriptionRecord), ''::bytea), ''::bytea)
                    FROM subscriptions s JOIN api_versions v ON v.id = s.api_version_id
                    WHERE s.id IN (SELECT id FROM changed) AND \(unescaped: subscriptionLoaded)) AS records,
                   (SELECT coalesce(string_agg(id, ''::bytea), ''::bytea) FROM (
                        SELECT uuid_send(s.id) AS id FROM subscriptions s JOIN api_versions v ON v.id = s.api_version_id
                        WHERE s.id IN (SELECT id FROM changed) AND NOT (\(unescaped: subscriptionLoaded))
                        UNION ALL SELECT id FROM config_removals WHERE kind = 'subscription' AND change_xid >= \(base)::xid8) gone) AS removed
            """, logger: logger
        ).first { (try $0.get("records", as: ByteBuffer.self), try $0.get("removed", as: ByteBuffer.self)) } ?? (ByteBuffer(), ByteBuffer())
        var removedKeys: [KeyHash] = []
        var keyIDs = removedKeyIDs
        while let id = keyIDs.readSlice(length: 32) {
            if let hash = KeyHash(buffer: id) { removedKeys.append(hash) }
        }
        var removedSubscriptions: [UUID] = []
        var subscriptionIDs = removedSubscriptionIDs
        while let id = subscriptionIDs.readUUIDBytes() { removedSubscriptions.append(id) }

        var next = previous
        next.xmin = xmin
        next.routes = routes
        next.routeList = routeList
        let keys = next.keys.apply(removing: removedKeys, changed: try parseKeys(keyBlob), idOf: \.hash)
        let subscriptions = next.subscriptions.apply(removing: removedSubscriptions, changed: try parseSubscriptions(subscriptionBlob), idOf: \.id)
        let changes = Changes(
            keys: .init(base: previous.keyList, removed: keys.removed, added: keys.added),
            subscriptions: .init(base: previous.subscriptionList, removed: subscriptions.removed, added: subscriptions.added))
        return (next, changes)
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
