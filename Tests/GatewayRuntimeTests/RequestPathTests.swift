import Domain
import Foundation
import Testing

@testable import GatewayRuntime

/// Every status path of the request pipeline, over real sockets.
@Suite(.serialized) struct RequestPathTests {
    @Test func proxiesWithKeyAndAnswersEveryRefusalWithItsOwnProblemType() async throws {
        try await GatewayHarness.run(plan: .init(name: "Basic", rateLimitPerMinute: 1000)) { h in
            let ok = try h.call("/orders/v1/items?x=1", headers: ["X-Request-Id": "req-123", "User-Agent": "tests"])
            #expect(ok.status == 200, "\(ok.text)")
            #expect(ok.json["uri"] as? String == "/items?x=1")
            #expect(ok.header("X-Request-Id") == "req-123")
            #expect(ok.header("RateLimit-Limit") == "1000")
            #expect(ok.header("RateLimit-Remaining") == "999")
            #expect(ok.header("RateLimit-Reset") != nil)
            let seen = ok.json["headers"] as? [String: String] ?? [:]
            #expect(seen["x-api-key"] == nil, "the key must not reach the upstream")
            #expect(seen["x-request-id"] == "req-123")
            #expect(seen["x-forwarded-for"] == "127.0.0.1")
            #expect(seen["x-forwarded-proto"] == "http")
            #expect(seen["x-forwarded-host"] == "localhost")
            #expect(seen["forwarded"] == "for=127.0.0.1;host=\"localhost\";proto=http")
            #expect(seen["traceparent"]?.hasPrefix("00-") == true)
            #expect(seen["user-agent"] == "tests")

            // Bearer works too, and is not forwarded.
            let bearer = try rawRequest(port: h.port, "GET", "/orders/v1/a", headers: ["Authorization": "Bearer \(h.key.secret)"])
            #expect(bearer.status == 200)
            #expect((bearer.json["headers"] as? [String: String])?["authorization"] == nil)

            // A traceparent is propagated as is.
            let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            #expect((try h.call(headers: ["traceparent": trace]).json["headers"] as? [String: String])?["traceparent"] == trace)

            func expectProblem(_ response: RawHTTPConnection.Response, _ status: Int, _ type: String) {
                #expect(response.status == status, "\(response.text)")
                #expect(response.header("Content-Type") == "application/problem+json")
                #expect(response.problemType == type, "\(response.text)")
            }
            expectProblem(try rawRequest(port: h.port, "GET", "/nothing/here"), 404, "no-route")
            expectProblem(try rawRequest(port: h.port, "GET", "/orders/v1/x"), 401, "missing-key")
            expectProblem(try h.call(key: "pk_unknown"), 401, "invalid-key")
            expectProblem(try rawRequest(port: h.port, "GET", "/orders/v1/x", headers: ["Authorization": "Basic abc"]), 401, "missing-key")
            expectProblem(try h.call("/orders/v1/../admin"), 400, "bad-request")
            expectProblem(try h.call("/orders/v1/%2e%2e/admin"), 400, "bad-request")
            // "/orders/v10" is not under "/orders/v1".
            expectProblem(try h.call("/orders/v10/x"), 404, "no-route")

            // A second application with a key but no subscription, then a pending one.
            let other = try await h.applications.create(h.admin, teamID: h.team.id, name: "Other", description: "")
            let otherKey = try await h.applications.createKey(h.admin, applicationID: other.id, slot: "primary", expiresAt: nil)
            try await h.waitUntil("key propagated") { try h.call(key: otherKey.secret).status != 401 }
            expectProblem(try h.call(key: otherKey.secret), 403, "not-subscribed")
            let gold = try await h.publishing.createPlan(h.admin, apiID: h.api.id, .init(name: "Gold", approvalRequired: true))
            let pending = try await h.subscriptions.request(h.admin, applicationID: other.id, apiVersionID: h.version.id, planID: gold.id, note: nil)
            try await h.waitUntil("pending propagated") { try h.call(key: otherKey.secret).problemType == "subscription-pending" }
            _ = try await h.subscriptions.decide(h.admin, id: pending.id, action: .approve, reason: nil)
            try await h.waitUntil("approval propagated") { try h.call(key: otherKey.secret).status == 200 }
            _ = try await h.subscriptions.decide(h.admin, id: pending.id, action: .suspend, reason: "abuse")
            try await h.waitUntil("suspension propagated") { try h.call(key: otherKey.secret).problemType == "subscription-suspended" }

            // Disabled, revoked and expired keys.
            _ = try await h.applications.disableKey(h.admin, keyID: otherKey.key.id)
            try await h.waitUntil("disable propagated") { try h.call(key: otherKey.secret).problemType == "key-disabled" }
            _ = try await h.applications.revokeKey(h.admin, keyID: otherKey.key.id)
            try await h.waitUntil("revoke propagated") { try h.call(key: otherKey.secret).problemType == "key-revoked" }
            expectProblem(try h.call(key: otherKey.secret), 401, "key-revoked")
            // Revoked long ago: no longer in the gateway's index, so it answers like an unknown key.
            let days = GatewayConfigLoader.revokedKeyDays + 1
            try await h.database.client.query(
                "UPDATE api_keys SET revoked_at = now() - \(days) * interval '1 day' WHERE id = \(otherKey.key.id)").collect()
            try await h.database.client.query("SELECT portico_bump_config_revision()").collect()
            try await h.waitUntil("old revocation propagated") { try h.call(key: otherKey.secret).problemType == "invalid-key" }
            // A key that expires in three seconds works until then (its expiry travels with the configuration).
            let expiring = try await h.applications.createKey(h.admin, applicationID: h.application.id, slot: "secondary", expiresAt: Date().addingTimeInterval(3))
            try await h.waitUntil("expiring key propagated") { try h.call(key: expiring.secret).status == 200 }
            try await h.waitUntil("key expired", timeout: .seconds(6)) { try h.call(key: expiring.secret).problemType == "key-expired" }
            #expect(try h.call().status == 200)
        }
    }

    @Test func aVersionServingSomeMethodsAnswersOthersWith405AndAllow() async throws {
        try await GatewayHarness.run(routing: { routing in
            var routing = routing
            routing.methods = ["GET", "POST"]
            return routing
        }) { h in
            #expect(try h.call(method: "GET").status == 200)
            #expect(try h.call(method: "HEAD").status == 200)  // GET implies HEAD
            #expect(try h.call(method: "POST", body: Data("{}".utf8)).status == 200)
            let refused = try h.call(method: "DELETE")
            #expect(refused.status == 405)
            #expect(refused.problemType == "method-not-allowed")
            #expect(refused.header("Allow") == "GET, HEAD, POST")
            // Routing comes before the key: no key needed to learn the methods, as for a 404.
            let keyless = try rawRequest(port: h.port, "PUT", "/orders/v1/items")
            #expect(keyless.status == 405 && keyless.header("Allow") == "GET, HEAD, POST")
            // Nothing refused reached the upstream.
            #expect(h.upstreams[0].received.allSatisfy { $0.method != "DELETE" && $0.method != "PUT" })

            // A local answer to HEAD has no body: the next response on the connection parses cleanly.
            let connection = try RawHTTPConnection(port: h.port)
            try connection.send("HEAD /orders/v1/items HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try connection.readResponse(forHEAD: true)
            #expect(head.status == 401 && head.header("Content-Length").flatMap(Int.init).map { $0 > 0 } == true)
            try connection.send("GET /orders/v1/items HTTP/1.1\r\nHost: x\r\nX-API-Key: \(h.key.secret)\r\n\r\n")
            #expect(try connection.readResponse().status == 200)
        }
    }

    @Test func corsPreflightsAreAnsweredWithoutAKeyAndAllowedOriginsCanReadEveryAnswer() async throws {
        try await GatewayHarness.run(routing: { routing in
            var routing = routing
            routing.cors = .init(allowedOrigins: ["https://app.example.com"], maxAgeSeconds: 300)
            return routing
        }) { h in
            let app = "https://app.example.com"
            // Preflight: answered by the gateway, no key, nothing reaches the upstream.
            let preflight = try rawRequest(port: h.port, "OPTIONS", "/orders/v1/items", headers: [
                "Origin": app, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key, content-type",
            ])
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Origin") == app)
            #expect(preflight.header("Access-Control-Allow-Methods") == "POST")
            #expect(preflight.header("Access-Control-Allow-Headers") == "x-api-key, content-type")
            #expect(preflight.header("Access-Control-Max-Age") == "300")
            #expect(preflight.header("X-Request-Id") != nil)
            // Another origin's preflight is refused with a problem document.
            let foreign = try rawRequest(port: h.port, "OPTIONS", "/orders/v1/items", headers: ["Origin": "https://evil.example", "Access-Control-Request-Method": "GET"])
            #expect(foreign.status == 403 && foreign.problemType == "origin-not-allowed")
            #expect(foreign.header("Access-Control-Allow-Origin") == nil)

            // The call itself: the gateway's CORS headers replace the upstream's.
            let call = try h.call("/orders/v1/items?cors=1", headers: ["Origin": app])
            #expect(call.status == 200)
            #expect(call.headers.filter { $0.0.lowercased() == "access-control-allow-origin" }.map(\.1) == [app])
            #expect(call.header("Access-Control-Expose-Headers")?.contains("RateLimit-Remaining") == true)
            #expect(call.header("Vary") == "Origin")
            #expect(call.header("Access-Control-Expose-Headers")?.hasPrefix("*, X-Request-Id") == true)
            // A refusal is readable by the page too.
            let refused = try rawRequest(port: h.port, "GET", "/orders/v1/items", headers: ["Origin": app])
            #expect(refused.status == 401 && refused.header("Access-Control-Allow-Origin") == app)
            // No Origin, or one not allowed: no allowance, but Vary so no cache hands that answer to an allowed origin.
            let plain = try h.call("/orders/v1/items?cors=1")
            #expect(plain.header("Access-Control-Allow-Origin") == nil && plain.header("Vary") == "Origin")
            #expect(try h.call("/orders/v1/items?cors=1", headers: ["Origin": "https://evil.example"]).header("Access-Control-Allow-Origin") == nil)
            // The preflights never reached the upstream; the calls did.
            #expect(h.upstreams[0].received.count == 3)
            #expect(h.upstreams[0].received.allSatisfy { $0.method != "OPTIONS" })
        }
    }

    @Test func aCorsPolicyForAnyOriginAnswersEveryCallWithTheWildcard() async throws {
        try await GatewayHarness.run(routing: { routing in
            var routing = routing
            routing.cors = .init(allowedOrigins: ["*"])
            return routing
        }) { h in
            for origin in [nil, "https://anyone.example"] {
                let call = try h.call("/orders/v1/items?cors=1", headers: origin.map { ["Origin": $0] } ?? [:])
                #expect(call.headers.filter { $0.0.lowercased() == "access-control-allow-origin" }.map(\.1) == ["*"])
                #expect(call.header("Vary") == nil)
            }
            let preflight = try rawRequest(port: h.port, "OPTIONS", "/orders/v1/items", headers: [
                "Origin": "https://anyone.example", "Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "x-api-key\tx",
            ])
            #expect(preflight.status == 204 && preflight.header("Access-Control-Allow-Origin") == "*")
            #expect(preflight.header("Access-Control-Allow-Methods") == "DELETE")
            #expect(preflight.header("Access-Control-Allow-Headers") == nil)  // a tab in the list: not echoed
        }
    }

    @Test func withoutACorsPolicyTheUpstreamsOwnAccessControlHeadersPass() async throws {
        try await GatewayHarness.run { h in
            let call = try h.call("/orders/v1/items?cors=1", headers: ["Origin": "https://app.example.com"])
            #expect(call.header("Access-Control-Allow-Origin") == "https://upstream.example")
            // An OPTIONS request is an ordinary call then: it needs the key and reaches the upstream.
            #expect(try rawRequest(port: h.port, "OPTIONS", "/orders/v1/items", headers: ["Origin": "https://a.example", "Access-Control-Request-Method": "GET"]).status == 401)
            #expect(try h.call("/orders/v1/items", method: "OPTIONS").status == 200)
            #expect(h.upstreams[0].received.contains { $0.method == "OPTIONS" })
        }
    }

    @Test func deprecatedVersionsCarryDeprecationSunsetAndLinkAndRetiredAnswer410() async throws {
        try await GatewayHarness.run { h in
            let v2 = try await h.publishing.createVersion(
                h.admin, apiID: h.api.id, .init(version: "v2", basePath: "/orders/v2", routing: RoutingConfig(targets: [.init(url: h.upstreams[0].url)])))
            _ = try await h.publishing.publish(h.admin, versionID: v2.id)
            let sunset = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01
            _ = try await h.publishing.deprecate(h.admin, versionID: h.version.id, sunsetAt: sunset, successorVersionID: v2.id)
            try await h.waitUntil("deprecation propagated") { try h.call().header("Sunset") != nil }
            let response = try h.call()
            #expect(response.status == 200)
            #expect(response.header("Sunset") == "Fri, 01 Jan 2100 00:00:00 GMT")
            #expect(response.header("Deprecation")?.hasPrefix("@") == true)
            #expect(response.header("Link") == "</orders/v2>; rel=\"successor-version\"")

            _ = try await h.publishing.retire(h.admin, versionID: h.version.id)
            try await h.waitUntil("retirement propagated") { try h.call().status == 410 }
            #expect(try h.call().problemType == "version-retired")
        }
    }

    @Test func stripPrefixOffKeepsTheBasePathAndTargetPathPrefixesApply() async throws {
        try await GatewayHarness.run(routing: { routing in
            var routing = routing
            routing.stripPrefix = false
            routing.targets = routing.targets.map { .init(url: $0.url + "/base", weight: $0.weight) }
            return routing
        }) { h in
            let nested = try h.call("/orders/v1/items?a=b")
            #expect(nested.json["uri"] as? String == "/base/orders/v1/items?a=b")
            let root = try h.call("/orders/v1")
            #expect(root.json["uri"] as? String == "/base/orders/v1")
        }
    }

    @Test func keepAliveAndPipelinedRequestsAreAnsweredInOrder() async throws {
        try await GatewayHarness.run { h in
            let connection = try RawHTTPConnection(port: h.port)
            for index in 0..<20 {
                let response = try connection.request("GET", "/orders/v1/seq/\(index)", headers: ["X-API-Key": h.key.secret])
                #expect(response.json["uri"] as? String == "/seq/\(index)")
            }
            // Five requests in one write: five answers, in order, on the same connection.
            var pipelined = ""
            for index in 0..<5 { pipelined += "GET /orders/v1/p/\(index)?delay_ms=\(50 - index * 10) HTTP/1.1\r\nHost: x\r\nX-API-Key: \(h.key.secret)\r\n\r\n" }
            pipelined += "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
            try connection.send(pipelined)
            for index in 0..<5 {
                let response = try connection.readResponse()
                #expect(response.json["uri"] as? String == "/p/\(index)?delay_ms=\(50 - index * 10)")
            }
            #expect(try connection.readResponse().status == 404)
            #expect(try connection.request("GET", "/orders/v1/after", headers: ["X-API-Key": h.key.secret]).status == 200)
        }
    }

    /// A response far larger than the socket buffers, to a client that waits before reading: the
    /// gateway stops reading the upstream while the client's socket is full and resumes as it
    /// drains (partial writes, EPOLLOUT), and every byte arrives in order.
    @Test func aLargeResponseReachesAClientThatReadsLate() async throws {
        try await GatewayHarness.run { h in
            let connection = try RawHTTPConnection(port: h.port, timeoutSeconds: 30)
            try connection.send("GET /orders/v1/x?size=12000000 HTTP/1.1\r\nHost: x\r\nX-API-Key: \(h.key.secret)\r\n\r\n")
            try await Task.sleep(for: .milliseconds(700))
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect((response.json["padding"] as? String)?.count == 12_000_000)
            // The connection is still good for the next request.
            #expect(try connection.request("GET", "/orders/v1/x", headers: ["X-API-Key": h.key.secret]).status == 200)
        }
    }

    /// Whole responses written in one go to a client that does not read: the kernel takes part of
    /// one, the rest queues behind it until the client reads (EPOLLOUT), and every later pipelined
    /// response waits in order.
    @Test func pipelinedResponsesToAClientThatReadsLateArriveWholeAndInOrder() async throws {
        try await GatewayHarness.run { h in
            let connection = try RawHTTPConnection(port: h.port, timeoutSeconds: 30, receiveBufferBytes: 16 * 1024)
            let count = 60  // 1.8 MB: far more than the kernel holds for a client with a 16 KB window that does not read
            var requests = ""
            for index in 0..<count {
                requests += "GET /orders/v1/x?size=\(30_000 + index) HTTP/1.1\r\nHost: x\r\nX-API-Key: \(h.key.secret)\r\n\r\n"
            }
            try connection.send(requests)
            try await Task.sleep(for: .milliseconds(700))
            for index in 0..<count {
                let response = try connection.readResponse()
                #expect(response.status == 200)
                #expect((response.json["padding"] as? String)?.count == 30_000 + index)
            }
        }
    }

    @Test func headRequestsAndBodiesBothWays() async throws {
        try await GatewayHarness.run { h in
            let head = try RawHTTPConnection(port: h.port).request("HEAD", "/orders/v1/x", headers: ["X-API-Key": h.key.secret])
            #expect(head.status == 200)
            let body = Data(repeating: 0x61, count: 200_000)
            let post = try h.call(method: "POST", body: body)
            #expect(post.json["bodyBytes"] as? Int == 200_000)
            let big = try h.call("/orders/v1/x?size=3000000")
            #expect(big.status == 200)
            #expect(big.body.count > 3_000_000)
            // Chunked request body.
            let connection = try RawHTTPConnection(port: h.port)
            try connection.send("POST /orders/v1/chunked HTTP/1.1\r\nHost: x\r\nX-API-Key: \(h.key.secret)\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
            let chunked = try connection.readResponse()
            #expect(chunked.json["bodyBytes"] as? Int == 11, "\(chunked.text)")
        }
    }
}
