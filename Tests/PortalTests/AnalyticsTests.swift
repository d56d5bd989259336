import Foundation
import HTTPTypes
import PostgresNIO
import Testing

@testable import Portal

/// Analytics read per-minute and hourly rollups; the call log reads call_logs. Both are scoped by role.
@Suite struct AnalyticsTests {
    /// Writes calls the way the gateway does: records plus their rollups.
    static func insertCalls(_ portal: PortalHarness, world w: World, count: Int, status: Int, milliseconds: Double, at: Date) async throws {
        let db = portal.database.client
        try await db.query("SELECT portico_ensure_call_log_partition(\(at)::date)")
        let apiID = UUID(uuidString: w.echoAPI)!
        let appID = UUID(uuidString: w.application)!
        let tenantID = UUID(uuidString: w.tenantA)!
        for index in 0..<count {
            try await db.query(
                """
                INSERT INTO call_logs (ts, request_id, tenant_id, api_id, application_id, method, path, status, total_ms, key_prefix)
                VALUES (\(at.addingTimeInterval(Double(index) / 1000)), \("req-\(status)-\(index)"), \(tenantID), \(apiID), \(appID), 'GET',
                        \("/echo/v1/item/\(index)"), \(Int16(status)), \(Float(milliseconds)), 'pk_test')
                """)
        }
        var histogram = [Int64](repeating: 0, count: 25)
        let bounds: [Double] = [1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000]
        histogram[bounds.firstIndex { milliseconds <= $0 } ?? 24] = Int64(count)
        let histText = "{" + histogram.map(String.init).joined(separator: ",") + "}"
        try await db.query(
            """
            SELECT portico_add_call_rollups(ARRAY[\(at)::timestamptz], ARRAY[\(tenantID)::uuid], ARRAY[\(apiID)::uuid], ARRAY[\(appID)::uuid],
                                            ARRAY[\(Int16(status))::int2], ARRAY[\(Int64(count))::int8], ARRAY[\(Double(count) * milliseconds)::float8],
                                            ARRAY[0::int8], ARRAY[\(histText)::text])
            """)
    }

    @Test func summaryTimeseriesConsumersStatusCodesAndLogs() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let now = Date().addingTimeInterval(-120)
            try await Self.insertCalls(portal, world: w, count: 90, status: 200, milliseconds: 4, at: now)
            try await Self.insertCalls(portal, world: w, count: 9, status: 429, milliseconds: 1, at: now.addingTimeInterval(-600))
            try await Self.insertCalls(portal, world: w, count: 1, status: 502, milliseconds: 250, at: now.addingTimeInterval(-1200))

            let summary = try await portal.request(.get, "/api/v1/analytics/summary?apiId=\(w.echoAPI)", token: w.maintainer)
            #expect(summary.status == .ok, "\(summary.text)")
            #expect(summary.json["requests"] as? Int == 100)
            #expect(summary.json["clientErrors"] as? Int == 9)
            #expect(summary.json["serverErrors"] as? Int == 1)
            #expect(summary.json["errorRate"] as? Double == 0.01)
            #expect(summary.json["p50Ms"] as? Double == 5)
            #expect(summary.json["p99Ms"] as? Double == 5)
            let series = try await portal.request(.get, "/api/v1/analytics/timeseries?apiId=\(w.echoAPI)", token: w.maintainer)
            #expect(series.json["intervalSeconds"] as? Int == 3600)
            #expect((series.items.compactMap { $0["requests"] as? Int }).reduce(0, +) == 100)
            let consumers = try await portal.request(.get, "/api/v1/analytics/consumers?apiId=\(w.echoAPI)", token: w.maintainer)
            #expect(consumers.items.first?["applicationName"] as? String == "Demo App")
            let codes = try await portal.request(.get, "/api/v1/analytics/status-codes?applicationId=\(w.application)", token: w.developer)
            #expect(codes.items.map { $0["status"] as? Int } == [200, 429, 502])

            // The call log: newest first, filtered, paged, one call in detail, CSV.
            let page = try await portal.request(.get, "/api/v1/logs?applicationId=\(w.application)&statusClass=4&limit=5", token: w.developer)
            #expect(page.items.count == 5)
            #expect(page.items.allSatisfy { $0["status"] as? Int == 429 })
            let next = try await portal.request(.get, "/api/v1/logs?applicationId=\(w.application)&statusClass=4&limit=5&cursor=\(page.string("nextCursor") ?? "")", token: w.developer)
            #expect(next.items.count == 4)
            let first = try #require(page.items.first)
            let detail = try await portal.request(
                .get, "/api/v1/logs/\(first["requestId"] as! String)?ts=\((first["timestamp"] as! String).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                token: w.developer)
            #expect(detail.string("keyPrefix") == "pk_test", "\(detail.text)")
            let csv = try await portal.request(.get, "/api/v1/logs/export.csv?apiId=\(w.echoAPI)&status=502", token: w.maintainer)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.text.split(separator: "\n").count == 2)

            // Scope: a developer may not read the API's traffic; tenant B sees nothing; bad ranges are 400.
            #expect(try await portal.request(.get, "/api/v1/analytics/summary?apiId=\(w.echoAPI)", token: w.developer).status == .forbidden)
            #expect(try await portal.request(.get, "/api/v1/analytics/summary", token: w.developer).status == .badRequest)
            #expect(try await portal.request(.get, "/api/v1/analytics/summary?applicationId=\(w.application)", token: w.adminB).status == .notFound)
            #expect(try await portal.request(.get, "/api/v1/logs?apiId=\(w.echoAPI)", token: w.adminB).status == .notFound)
            let adminB = try await portal.request(.get, "/api/v1/analytics/summary", token: w.adminB)
            #expect(adminB.json["requests"] as? Int == 0)
            #expect(try await portal.request(.get, "/api/v1/analytics/summary?apiId=\(w.echoAPI)&from=2030-01-01T00:00:00Z&to=2029-01-01T00:00:00Z", token: w.admin).status == .badRequest)
        }
    }

    /// Long ranges read whole hours from the hourly rollups and the minutes at the edges from the
    /// per-minute rollups: a range starting mid-hour counts only the calls after its start.
    @Test func longRangesCombineHourlyRowsWithMinuteEdges() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let hour = (Date().addingTimeInterval(-2 * 86_400).timeIntervalSince1970 / 3600).rounded(.down) * 3600
            let early = Date(timeIntervalSince1970: hour + 10 * 60)
            let late = Date(timeIntervalSince1970: hour + 40 * 60)
            try await Self.insertCalls(portal, world: w, count: 5, status: 200, milliseconds: 4, at: early)
            try await Self.insertCalls(portal, world: w, count: 7, status: 200, milliseconds: 40, at: late)
            try await Self.insertCalls(portal, world: w, count: 3, status: 503, milliseconds: 4, at: Date().addingTimeInterval(-300))

            func iso(_ date: Date) -> String { date.formatted(.iso8601) }
            let now = Date().addingTimeInterval(60)
            let week = "from=\(iso(now.addingTimeInterval(-7 * 86_400)))&to=\(iso(now))"
            let all = try await portal.request(.get, "/api/v1/analytics/summary?apiId=\(w.echoAPI)&\(week)", token: w.maintainer)
            #expect(all.json["requests"] as? Int == 15, "\(all.text)")
            #expect(all.json["serverErrors"] as? Int == 3)
            #expect(all.json["p50Ms"] as? Double == 5)
            #expect(all.json["p95Ms"] as? Double == 50)

            let fromMidHour = "from=\(iso(Date(timeIntervalSince1970: hour + 30 * 60)))&to=\(iso(now))"
            let cut = try await portal.request(.get, "/api/v1/analytics/summary?apiId=\(w.echoAPI)&\(fromMidHour)", token: w.maintainer)
            #expect(cut.json["requests"] as? Int == 10, "\(cut.text)")
            let untilMidHour = "from=\(iso(now.addingTimeInterval(-7 * 86_400)))&to=\(iso(Date(timeIntervalSince1970: hour + 30 * 60)))"
            #expect(try await portal.request(.get, "/api/v1/analytics/summary?apiId=\(w.echoAPI)&\(untilMidHour)", token: w.maintainer).json["requests"] as? Int == 5)

            let series = try await portal.request(.get, "/api/v1/analytics/timeseries?apiId=\(w.echoAPI)&\(week)", token: w.maintainer)
            #expect(series.json["intervalSeconds"] as? Int == 3600)
            #expect(series.items.compactMap { $0["requests"] as? Int }.reduce(0, +) == 15)
            let consumers = try await portal.request(.get, "/api/v1/analytics/consumers?apiId=\(w.echoAPI)&\(fromMidHour)", token: w.maintainer)
            #expect(consumers.items.first?["requests"] as? Int == 10)
            let codes = try await portal.request(.get, "/api/v1/analytics/status-codes?applicationId=\(w.application)&\(week)", token: w.developer)
            #expect(codes.items.map { $0["count"] as? Int } == [12, 3])
        }
    }
}
