import Domain
import Foundation
import PostgresNIO
import Testing
import TestSupport

@testable import GatewayRuntime

/// Rate limits, quotas, config propagation, the disk snapshot, and database outages.
@Suite(.serialized) struct LimitsAndSyncTests {
    @Test func exactlyTheConfiguredNumberPassesUnderConcurrency() async throws {
        try await GatewayHarness.run(plan: .init(name: "Tight", rateLimitPerMinute: 50)) { h in
            let port = h.port
            let key = h.key.secret
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        // Eight threads, so all eight clients are truly concurrent (the pool has two).
                        try await onOwnThread {
                            let connection = try RawHTTPConnection(port: port)
                            var statuses: [Int] = []
                            for _ in 0..<25 { statuses.append(try connection.request("GET", "/orders/v1/r", headers: ["X-API-Key": key]).status) }
                            return statuses
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(statuses.filter { $0 == 200 }.count == 50)
            #expect(statuses.filter { $0 == 429 }.count == 150)
            let refused = try h.call()
            #expect(refused.status == 429)
            #expect(refused.problemType == "rate-limited")
            #expect(Int(refused.header("Retry-After") ?? "") ?? 0 >= 1)
            #expect(refused.header("RateLimit-Remaining") == "0")
            #expect(refused.header("RateLimit-Limit") == "50")
        }
    }

    @Test func tokenBucketAndCalendarUnits() {
        var bucket = TokenBucket(capacity: 10, windowNanos: 1_000_000_000, now: 0)
        for _ in 0..<10 { #expect(bucket.hasToken); bucket.take() }
        #expect(!bucket.hasToken)
        bucket.refill(now: 100_000_000)  // 0.1 s later: one token back
        #expect(bucket.remaining == 1)
        bucket.refill(now: 5_000_000_000)
        #expect(bucket.remaining == 10)
        // 2024-02-29 12:00:00 UTC
        let leap: Int64 = 1_709_208_000
        #expect(CalendarPeriod.secondsToNextDay(unixSeconds: leap) == 12 * 3600)
        #expect(CalendarPeriod.secondsToNextMonth(unixSeconds: leap) == 12 * 3600)
        #expect(CalendarPeriod.civil(fromDays: CalendarPeriod.day(unixSeconds: leap)) == (2024, 2, 29))
        #expect(CalendarPeriod.firstDay(ofMonth: CalendarPeriod.month(day: CalendarPeriod.day(unixSeconds: leap))) == CalendarPeriod.days(fromCivil: 2024, 2, 1))
    }

    @Test func quotaSurvivesAGatewayRestart() async throws {
        try await GatewayHarness.run(plan: .init(name: "Daily", quotaPerDay: 30)) { h in
            for _ in 0..<20 { #expect(try h.call().status == 200) }
            #expect(try h.call().header("RateLimit-Remaining") == "9")
            await h.stopGateway()  // graceful: flushes quota usage
            try await h.startGateway()
            try await h.waitUntil("usage loaded") { try h.call().header("RateLimit-Remaining").map { Int($0)! <= 8 } ?? false }
            var passed = 0
            for _ in 0..<20 where try h.call().status == 200 { passed += 1 }
            #expect(passed <= 8)
            let refused = try h.call()
            #expect(refused.status == 429)
            #expect(refused.problemType == "quota-exceeded")
            // Usage reaches the database at the next flush: exactly the quota, not a request more.
            try await h.waitUntil("usage flushed") {
                try await h.database.client.query("SELECT coalesce(sum(used), 0)::int8 FROM quota_usage WHERE period = 'day'").collect().first!
                    .decode(Int64.self) == 30
            }
        }
    }

    @Test func publishRevokeAndRetireReachTheGatewayWithinASecond() async throws {
        try await GatewayHarness.run { h in
            // Propagation counts from the moment the portal has committed the change (its call returned), so the
            // portal's own time under the suite's parallel load (two deprecate/retire transactions took 1.7 s once in
            // CI) is reported but not charged to the gateway.
            func timed(_ what: String, _ change: () async throws -> Void, until condition: @escaping @Sendable () throws -> Bool) async throws -> Duration {
                let changeStarted = ContinuousClock.now
                try await change()
                let committed = ContinuousClock.now
                while !(try condition()) {
                    #expect(ContinuousClock.now - committed < .seconds(1), "\(what) took too long (the portal call took \(committed - changeStarted))")
                    if ContinuousClock.now - committed > .seconds(3) { break }
                    try await Task.sleep(for: .milliseconds(5))
                }
                return ContinuousClock.now - committed
            }
            var version = try await h.publishing.createVersion(
                h.admin, apiID: h.api.id, .init(version: "v2", basePath: "/orders/v2", routing: RoutingConfig(targets: [.init(url: h.upstreams[0].url)])))
            let plan = h.plan!
            let publish = try await timed("publish", { version = try await h.publishing.publish(h.admin, versionID: version.id) }) {
                (try? h.call("/orders/v2/x").status) == 403
            }
            _ = try await h.subscriptions.request(h.admin, applicationID: h.application.id, apiVersionID: version.id, planID: plan.id, note: nil)
            let revoke = try await timed("key revoke", { _ = try await h.applications.revokeKey(h.admin, keyID: h.key.key.id) }) {
                (try? h.call().status) == 401
            }
            _ = try await h.publishing.deprecate(h.admin, versionID: h.version.id, sunsetAt: Date().addingTimeInterval(3600), successorVersionID: nil)
            let retire = try await timed("retire", { _ = try await h.publishing.retire(h.admin, versionID: h.version.id) }) {
                (try? h.call().status) == 410
            }
            for duration in [publish, revoke, retire] { #expect(duration < .seconds(1)) }
        }
    }

    @Test func malformedSnapshotsAreRefusedAndTheGoodOneStays() async throws {
        try await GatewayHarness.run { h in
            let revision = h.gatewayRevision
            // A subscription pointing at a plan that does not exist cannot come from the loader; fake one via validate().
            var broken = try await GatewayConfigLoader(client: h.database.client, logger: h.database.logger).load()
            broken.subscriptions.append(.init(id: UUID(), applicationID: UUID(), versionID: UUID(), planID: UUID(), state: .active))
            #expect(throws: GatewayConfig.Problem.self) { try broken.validate() }
            broken.format = 99
            #expect(throws: GatewayConfig.Problem.unsupportedFormat(99)) { try broken.validate() }
            // A corrupt file on disk is not served.
            // The good configuration's snapshot is written beside the sync loop, so it may come a moment
            // after the configuration serves.
            let path = h.directory.appendingPathComponent("snapshot.json").path
            try await h.waitUntil("the snapshot is written") { FileManager.default.fileExists(atPath: path) }
            let store = SnapshotStore(path: h.directory.appendingPathComponent("bad.json").path)
            try Data("{\"format\":1,\"revision\":".utf8).write(to: URL(fileURLWithPath: store.path))
            #expect(throws: (any Error).self) { try store.load() }
            #expect(h.gatewayRevision == revision)
        }
    }

    @Test func startsFromTheDiskSnapshotWithTheDatabaseDownAndLosesNoCallLogs() async throws {
        try await GatewayHarness.run(start: false) { h in
            let cutter = TCPCutter(targetPort: TestDatabase.shared.port)
            try await cutter.start()
            h.extraSettings["portico.database.url"] = .init(
                .string("postgres://\(TestDatabase.shared.user)@127.0.0.1:\(cutter.port)/\(h.databaseName)"), isSecret: true)
            try await h.startGateway()
            #expect(try h.call().status == 200)
            await h.stopGateway()

            // PostgreSQL goes away; a restarted gateway serves from its snapshot.
            cutter.cut()
            try await h.startGateway(listening: false)
            var served = 0
            for index in 0..<50 {
                let response = try h.call("/orders/v1/outage/\(index)")
                #expect(response.status == 200)
                if response.status == 200 { served += 1 }
            }
            #expect(served == 50)
            try await h.waitUntil("records spooled") { h.gateway.shared.metrics.logsSpooled.load(ordering: .relaxed) >= 50 }

            // It comes back: the spooled records are replayed, none lost, none twice.
            cutter.restore()
            try await h.waitUntil("records replayed", timeout: .seconds(10)) {
                let count = try await h.database.client.query("SELECT count(*) FROM call_logs WHERE path LIKE '/orders/v1/outage/%'").collect()
                    .first!.decode(Int.self)
                return count >= 50
            }
            try await Task.sleep(for: .milliseconds(500))
            let rows = try await h.database.client.query(
                "SELECT count(*), count(DISTINCT request_id) FROM call_logs WHERE path LIKE '/orders/v1/outage/%'").collect()
            let (count, distinct) = try rows.first!.decode((Int, Int).self)
            #expect(count == 50)
            #expect(distinct == 50)
            #expect(h.gateway.shared.logs.dropped.load(ordering: .relaxed) == 0)
            // Rollups commit with their records, so a replayed batch is counted once at both resolutions.
            let totals = try await h.database.client.query(
                """
                SELECT (SELECT count(*) FROM call_logs WHERE api_id IS NOT NULL)::int8, (SELECT coalesce(sum(requests), 0) FROM call_rollups)::int8,
                       (SELECT coalesce(sum(requests), 0) FROM call_rollups_hourly)::int8
                """).collect()
            let (logged, minutes, hours) = try totals.first!.decode((Int, Int, Int).self)
            #expect(logged >= 50)
            #expect(minutes == logged)
            #expect(hours == logged)
            await h.stopGateway()
            await cutter.shutdown()
        }
    }

    @Test func trafficContinuesWhileTheDatabaseIsCutAndEveryCallIsLogged() async throws {
        try await GatewayHarness.run(settings: ["portico.gateway.quota.flush.ms": 100], start: false) { h in
            let cutter = TCPCutter(targetPort: TestDatabase.shared.port)
            try await cutter.start()
            h.extraSettings["portico.database.url"] = .init(
                .string("postgres://\(TestDatabase.shared.user)@127.0.0.1:\(cutter.port)/\(h.databaseName)"), isSecret: true)
            try await h.startGateway()
            let failures = try await onOwnThread {
                let connection = try RawHTTPConnection(port: h.port)
                var failures = 0
                for index in 0..<300 {
                    if index == 100 { cutter.cut() }
                    if index == 200 { cutter.restore() }
                    let response = try connection.request("GET", "/orders/v1/load/\(index)", headers: ["X-API-Key": h.key.secret])
                    if response.status != 200 { failures += 1 }
                }
                return failures
            }
            #expect(failures == 0)
            try await h.waitUntil("all records in the database", timeout: .seconds(15)) {
                try await h.database.client.query("SELECT count(*) FROM call_logs WHERE path LIKE '/orders/v1/load/%'").collect().first!.decode(Int.self) >= 300
            }
            let count = try await h.database.client.query("SELECT count(DISTINCT request_id) FROM call_logs WHERE path LIKE '/orders/v1/load/%'").collect()
                .first!.decode(Int.self)
            #expect(count == 300)
            let row = try await h.database.client.query(
                """
                SELECT status, api_id, application_id, subscription_id, key_prefix, method, upstream_target, attempts, bytes_in, bytes_out, client_ip
                FROM call_logs WHERE path = '/orders/v1/load/7'
                """).collect().first!.makeRandomAccess()
            #expect(try row["status"].decode(Int16.self) == 200)
            #expect(try row["key_prefix"].decode(String.self) == h.key.key.prefix)
            #expect(try row["api_id"].decode(UUID.self) == h.api.id)
            #expect(try row["application_id"].decode(UUID.self) == h.application.id)
            #expect(try row["upstream_target"].decode(String.self) == h.upstreams[0].url)
            #expect(try row["bytes_out"].decode(Int64.self) > 0)
            await h.stopGateway()
            await cutter.shutdown()
        }
    }
}
