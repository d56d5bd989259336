import Foundation
import Logging
import PostgresNIO

/// Traffic analytics and the call log. Publishers see their APIs (maintainers of the owning team),
/// consumers their applications (members of the owning team), tenant admins everything in their
/// tenant. Analytics read per-minute and hourly rollups; the log search walks `call_logs` newest first.
public struct AnalyticsService: Sendable {
    public struct Scope: Sendable {
        public var apiID: UUID?
        public var applicationID: UUID?
        public var from: Date
        public var to: Date

        public init(apiID: UUID?, applicationID: UUID?, from: Date?, to: Date?) {
            self.apiID = apiID
            self.applicationID = applicationID
            self.to = to ?? Date()
            self.from = from ?? self.to.addingTimeInterval(-24 * 3600)
        }
    }

    public struct LogFilter: Sendable {
        public var scope: Scope
        public var status: Int?
        /// 2, 4 or 5: all 2xx, 4xx or 5xx.
        public var statusClass: Int?
        public var path: String?

        public init(scope: Scope, status: Int?, statusClass: Int?, path: String?) {
            self.scope = scope
            self.status = status
            self.statusClass = statusClass
            self.path = path
        }
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    var logger: Logger { database.logger }

    /// Checks the scope against the actor's rights; returns the tenant to query.
    private func authorize(_ actor: Actor, _ scope: Scope) async throws -> UUID {
        let tenantID = try actor.requireTenant()
        var validator = Validator()
        validator.check(scope.from < scope.to, "from", "must be before 'to'")
        validator.check(scope.to.timeIntervalSince(scope.from) <= 92 * 86_400, "from", "the range may span at most 92 days")
        try validator.finish()
        let logger = logger
        if let apiID = scope.apiID {
            let api = try await database.read { try await PublishingService.findAPI(id: apiID, actor: actor, on: $0, logger: logger) }
            guard actor.canMaintain(team: api.teamID) else {
                throw DomainError.forbidden("Traffic of an API is shown to maintainers of its team and tenant admins.")
            }
        }
        if let applicationID = scope.applicationID {
            _ = try await database.read { try await ApplicationService.find(id: applicationID, actor: actor, on: $0, logger: logger) }
        }
        if scope.apiID == nil && scope.applicationID == nil && !actor.isTenantAdmin {
            throw DomainError.invalid("apiId", "choose an API you maintain or one of your applications (tenant admins may see all traffic)")
        }
        return tenantID
    }

    /// Per-minute rollups are kept 8 days (`portico_drop_call_rollups`); range edges older than
    /// this are rounded outwards to the hour.
    static let minuteRollupHorizon: TimeInterval = 7 * 86_400
    /// Ranges up to this long (and recent) read per-minute rows only.
    static let minuteOnlySpan: TimeInterval = 6 * 3600

    /// The rollup rows of the range as `r`: whole hours from `call_rollups_hourly`, the minutes
    /// before the first and after the last whole hour from `call_rollups`. A week of traffic from
    /// a hundred applications is then ~50,000 rows instead of ~3 million.
    private func rollupSource(_ scope: Scope, tenantID: UUID, into query: inout QueryBuilder) {
        let from = scope.from, to = scope.to
        let minuteHorizon = Date().addingTimeInterval(-Self.minuteRollupHorizon)
        func hour(_ date: Date, _ rule: FloatingPointRoundingRule) -> Date {
            Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(rule) * 3600)
        }
        var hoursFrom = from >= minuteHorizon ? hour(from, .up) : hour(from, .down)
        var hoursTo = to >= minuteHorizon ? hour(to, .down) : hour(to, .up)
        if hoursFrom >= hoursTo || (from >= minuteHorizon && to.timeIntervalSince(from) <= Self.minuteOnlySpan) {
            (hoursFrom, hoursTo) = (to, to)
        }
        func filters(_ query: inout QueryBuilder) {
            if let id = scope.apiID { query.append(" AND api_id = \(query.bind(id))") }
            if let id = scope.applicationID { query.append(" AND application_id = \(query.bind(id))") }
        }
        let columns = "bucket, api_id, application_id, status, requests, total_ms, latency_hist"
        query.append(" FROM (SELECT \(columns) FROM call_rollups WHERE tenant_id = \(query.bind(tenantID))")
        query.append(" AND ((bucket >= \(query.bind(from)) AND bucket < \(query.bind(hoursFrom))) OR (bucket >= \(query.bind(hoursTo)) AND bucket < \(query.bind(to))))")
        filters(&query)
        query.append(" UNION ALL SELECT \(columns) FROM call_rollups_hourly WHERE tenant_id = \(query.bind(tenantID))")
        query.append(" AND bucket >= \(query.bind(hoursFrom)) AND bucket < \(query.bind(hoursTo))")
        filters(&query)
        query.append(") r")
    }

    /// The element-wise sum of the latency histograms: one native `sum` per bucket (PostgreSQL
    /// computes identical aggregates once, so the three percentiles share it).
    private static let histogramSum = "ARRAY[" + (1...25).map { "sum(r.latency_hist[\($0)])" }.joined(separator: ", ") + "]::int8[]"

    private static let summaryColumns = """
        coalesce(sum(r.requests), 0)::int8 AS requests,
        coalesce(sum(r.requests) FILTER (WHERE r.status BETWEEN 400 AND 499), 0)::int8 AS client_errors,
        coalesce(sum(r.requests) FILTER (WHERE r.status >= 500), 0)::int8 AS server_errors,
        portico_hist_percentile(\(histogramSum), 0.5)::float8 AS p50,
        portico_hist_percentile(\(histogramSum), 0.95)::float8 AS p95,
        portico_hist_percentile(\(histogramSum), 0.99)::float8 AS p99,
        (sum(r.total_ms) / nullif(sum(r.requests), 0))::float8 AS average
        """

    private static func decodeSummary(_ row: PostgresRandomAccessRow) throws -> TrafficSummary {
        TrafficSummary(
            requests: try row.get("requests"), clientErrors: try row.get("client_errors"), serverErrors: try row.get("server_errors"),
            p50Ms: try row.get("p50"), p95Ms: try row.get("p95"), p99Ms: try row.get("p99"), averageMs: try row.get("average"))
    }

    public func summary(_ actor: Actor, scope: Scope) async throws -> TrafficSummary {
        let tenantID = try await authorize(actor, scope)
        var query = QueryBuilder("SELECT \(Self.summaryColumns)")
        rollupSource(scope, tenantID: tenantID, into: &query)
        let logger = logger
        return try await database.read { try await $0.query(query.query, logger: logger).first(Self.decodeSummary)! }
    }

    /// Points at a resolution suited to the range and to the rollups read: minutes or 5 minutes up
    /// to 6 hours, hours up to 14 days, days beyond.
    public func timeseries(_ actor: Actor, scope: Scope) async throws -> (interval: Int, points: [TrafficPoint]) {
        let tenantID = try await authorize(actor, scope)
        let span = scope.to.timeIntervalSince(scope.from)
        let interval = span <= 3 * 3600 ? 60 : span <= Self.minuteOnlySpan ? 300 : span <= 14 * 86_400 ? 3600 : 86_400
        var query = QueryBuilder(
            "SELECT to_timestamp(floor(extract(epoch FROM r.bucket) / \(interval)) * \(interval)) AS point, \(Self.summaryColumns)")
        rollupSource(scope, tenantID: tenantID, into: &query)
        query.append(" GROUP BY point ORDER BY point")
        let logger = logger
        let points = try await database.read { connection in
            try await connection.query(query.query, logger: logger).all { row in
                TrafficPoint(bucket: try row.get("point"), summary: try Self.decodeSummary(row))
            }
        }
        return (interval, points)
    }

    public func topConsumers(_ actor: Actor, scope: Scope, limit: Int = 10) async throws -> [ConsumerTraffic] {
        let tenantID = try await authorize(actor, scope)
        // Aggregate first, then name the few top applications.
        var query = QueryBuilder(
            """
            SELECT c.application_id, coalesce(app.name, '(unknown)') AS application_name, coalesce(t.name, '') AS team_name, c.requests, c.errors
            FROM (SELECT r.application_id, sum(r.requests)::int8 AS requests, (coalesce(sum(r.requests) FILTER (WHERE r.status >= 400), 0))::int8 AS errors
            """)
        rollupSource(scope, tenantID: tenantID, into: &query)
        query.append(" GROUP BY r.application_id ORDER BY requests DESC LIMIT \(max(1, min(limit, 100)))) c")
        query.append(" LEFT JOIN applications app ON app.id = c.application_id LEFT JOIN teams t ON t.id = app.team_id ORDER BY c.requests DESC")
        let logger = logger
        return try await database.read { connection in
            try await connection.query(query.query, logger: logger).all { row in
                ConsumerTraffic(
                    applicationID: try row.get("application_id"), applicationName: try row.get("application_name"), teamName: try row.get("team_name"),
                    requests: try row.get("requests"), errors: try row.get("errors"))
            }
        }
    }

    public func statusCodes(_ actor: Actor, scope: Scope) async throws -> [StatusCount] {
        let tenantID = try await authorize(actor, scope)
        var query = QueryBuilder("SELECT r.status::int8 AS status, sum(r.requests)::int8 AS count")
        rollupSource(scope, tenantID: tenantID, into: &query)
        query.append(" GROUP BY r.status ORDER BY r.status")
        let logger = logger
        return try await database.read { connection in
            try await connection.query(query.query, logger: logger).all { row in
                StatusCount(status: Int(try row.get("status", as: Int64.self)), count: try row.get("count"))
            }
        }
    }

    // MARK: Call log

    static let logColumns = """
        l.ts, l.request_id, l.api_id, a.name AS api_name, l.api_version_id, v.version, l.application_id, app.name AS application_name,
        l.subscription_id, l.key_prefix, l.method, l.path, l.status::int8 AS status, l.upstream_target, l.attempts::int8 AS attempts,
        l.bytes_in, l.bytes_out, l.total_ms::float8 AS total_ms, l.upstream_ms::float8 AS upstream_ms, l.client_ip, l.user_agent, l.error_kind
        """
    static let logJoins = """
        FROM call_logs l LEFT JOIN apis a ON a.id = l.api_id LEFT JOIN api_versions v ON v.id = l.api_version_id
        LEFT JOIN applications app ON app.id = l.application_id
        """

    static func decodeLog(_ row: PostgresRandomAccessRow) throws -> CallLogEntry {
        CallLogEntry(
            timestamp: try row.get("ts"), requestID: try row.get("request_id"), apiID: try row.get("api_id"), apiName: try row.get("api_name"),
            versionID: try row.get("api_version_id"), version: try row.get("version"), applicationID: try row.get("application_id"),
            applicationName: try row.get("application_name"), subscriptionID: try row.get("subscription_id"), keyPrefix: try row.get("key_prefix"),
            method: try row.get("method"), path: try row.get("path"), status: Int(try row.get("status", as: Int64.self)),
            upstreamTarget: try row.get("upstream_target"), attempts: Int(try row.get("attempts", as: Int64.self)), bytesIn: try row.get("bytes_in"),
            bytesOut: try row.get("bytes_out"), totalMs: try row.get("total_ms"), upstreamMs: try row.get("upstream_ms"), clientIP: try row.get("client_ip"),
            userAgent: try row.get("user_agent"), errorKind: try row.get("error_kind"))
    }

    /// Newest first. The cursor is the microsecond timestamp of the last entry seen.
    public func logs(_ actor: Actor, filter: LogFilter, page: PageRequest) async throws -> Page<CallLogEntry> {
        let tenantID = try await authorize(actor, filter.scope)
        var query = QueryBuilder("SELECT \(Self.logColumns) \(Self.logJoins) WHERE l.tenant_id = ")
        query.append(query.bind(tenantID))
        query.append(" AND l.ts >= \(query.bind(filter.scope.from)) AND l.ts < \(query.bind(filter.scope.to))")
        if let id = filter.scope.apiID { query.append(" AND l.api_id = \(query.bind(id))") }
        if let id = filter.scope.applicationID { query.append(" AND l.application_id = \(query.bind(id))") }
        if let status = filter.status { query.append(" AND l.status = \(query.bind(status))") }
        if let statusClass = filter.statusClass { query.append(" AND l.status BETWEEN \(query.bind(statusClass * 100)) AND \(query.bind(statusClass * 100 + 99))") }
        if let path = filter.path, !path.isEmpty {
            query.append(" AND l.path LIKE \(query.bind(path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"))")
        }
        if let micros = page.cursor?.sequence {
            query.append(" AND l.ts < to_timestamp(\(query.bind(Double(micros) / 1_000_000)))")
        }
        query.append(" ORDER BY l.ts DESC LIMIT \(page.limit + 1)")
        let logger = logger
        let rows = try await database.read { try await $0.query(query.query, logger: logger).all(Self.decodeLog) }
        return page.page(rows) { Cursor(sequence: Int64(($0.timestamp.timeIntervalSince1970 * 1_000_000).rounded())) }
    }

    /// One call, by its request id and (for the partition lookup) its time.
    public func log(_ actor: Actor, requestID: String, at timestamp: Date) async throws -> CallLogEntry {
        let tenantID = try actor.requireTenant()
        let logger = logger
        let entry = try await database.read { connection in
            try await connection.query(
                """
                SELECT \(unescaped: Self.logColumns) \(unescaped: Self.logJoins)
                WHERE l.tenant_id = \(tenantID) AND l.request_id = \(requestID)
                  AND l.ts BETWEEN \(timestamp.addingTimeInterval(-1)) AND \(timestamp.addingTimeInterval(1))
                LIMIT 1
                """, logger: logger
            ).first(Self.decodeLog)
        }
        guard let entry else { throw DomainError.notFound(resource: "call") }
        // The same visibility as the search: the API's maintainers, the application's team, tenant admins.
        if !actor.isTenantAdmin {
            var allowed = false
            if let applicationID = entry.applicationID,
                (try? await database.read({ try await ApplicationService.find(id: applicationID, actor: actor, on: $0, logger: logger) })) != nil
            {
                allowed = true
            }
            if !allowed, let apiID = entry.apiID,
                let api = try? await database.read({ try await PublishingService.findAPI(id: apiID, actor: actor, on: $0, logger: logger) }),
                actor.canMaintain(team: api.teamID)
            {
                allowed = true
            }
            if !allowed { throw DomainError.notFound(resource: "call") }
        }
        return entry
    }
}
