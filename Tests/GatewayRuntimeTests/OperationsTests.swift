import Foundation
import Testing

@testable import GatewayRuntime

/// The admin listener, streaming of large bodies with bounded memory, and graceful shutdown.
@Suite(.serialized) struct OperationsTests {
    @Test func adminListenerReportsHealthReadinessAndMetrics() async throws {
        try await GatewayHarness.run { h in
            #expect(try h.call().status == 200)
            #expect(try rawRequest(port: h.adminPort, "GET", "/healthz").status == 200)
            let ready = try rawRequest(port: h.adminPort, "GET", "/readyz")
            #expect(ready.status == 200)
            #expect(ready.text.contains("revision="))
            let metrics = try rawRequest(port: h.adminPort, "GET", "/metrics").text
            for name in [
                "portico_gateway_requests_total{api=\"\(h.api.id.uuidString.lowercased())\",status=\"200\"}", "portico_gateway_request_duration_seconds_bucket",
                "portico_gateway_config_revision", "portico_gateway_config_age_seconds", "portico_gateway_call_logs_total{outcome=\"written\"}",
                "portico_gateway_call_logs_total{outcome=\"dropped\"}", "portico_gateway_upstream_healthy",
            ] {
                #expect(metrics.contains(name), "\(name) missing")
            }
        }
    }

    @Test func requestCountsByAPIAndStatusAddUpAcrossRunsOfTheSameKey() {
        let metrics = GatewayMetrics()
        let shard = metrics.makeShard()
        let api = UUID()
        for status in [200, 200, 401, 200, 200, 200] { shard.record(api: api, status: status, seconds: 0.001) }
        shard.record(api: nil, status: 404, seconds: 0.001)
        let text = metrics.render(logBuffer: CallLogBuffer(capacity: 1, gatewayID: "gw"), targets: [])
        let id = api.uuidString.lowercased()
        #expect(text.contains("portico_gateway_requests_total{api=\"\(id)\",status=\"200\"} 5\n"))
        #expect(text.contains("portico_gateway_requests_total{api=\"\(id)\",status=\"401\"} 1\n"))
        #expect(text.contains("portico_gateway_requests_total{api=\"\",status=\"404\"} 1\n"))
        #expect(text.contains("portico_gateway_request_duration_seconds_count 7\n"))
    }

    @Test func a100MegabyteUploadStreamsThroughWithBoundedMemory() async throws {
        try await GatewayHarness.run { h in
            let connection = try RawHTTPConnection(port: h.port, timeoutSeconds: 60)
            let size = 100 * 1024 * 1024
            try connection.send("PUT /orders/v1/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: \(h.key.secret)\r\nContent-Length: \(size)\r\n\r\n")
            let before = Self.residentMegabytes()
            let chunk = Data(repeating: 0x61, count: 1024 * 1024)
            for _ in 0..<100 { try connection.send(chunk) }
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.json["bodyBytes"] as? Int == size)
            // The test process holds the upstream too; growth far below the body size shows nothing buffered it whole.
            #expect(Self.residentMegabytes() - before < 60)
        }
    }

    /// Connections waiting for a request head close after the client timeout: silently when idle,
    /// with 408 when part of a head arrived (a slow client). A request in progress is not cut, and
    /// the wait starts again after each response.
    @Test(arguments: ["epoll", "nio"]) func clientsWaitingTooLongForAHeadAreClosed(plane: String) async throws {
        try await GatewayHarness.run(settings: ["portico.gateway.client.timeout.seconds": 1, "portico.gateway.data.plane": .init(.string(plane), isSecret: false)]) {
            h in
            let idle = try RawHTTPConnection(port: h.port)
            let slow = try RawHTTPConnection(port: h.port)
            try slow.send("GET /orders/v1/items HTTP/1.1\r\nHost: x\r\nX-API-Key: \(h.key.secret)\r\n")
            // A request that takes longer than the timeout, then a second one after a pause shorter than it.
            let busy = try RawHTTPConnection(port: h.port)
            let long = try busy.request("GET", "/orders/v1/items?delay_ms=1500", headers: ["X-API-Key": h.key.secret])
            #expect(long.status == 200)
            try await Task.sleep(for: .milliseconds(600))
            #expect(try busy.request("GET", "/orders/v1/items", headers: ["X-API-Key": h.key.secret]).status == 200)

            #expect(idle.isClosedByPeer())
            let timedOut = try slow.readResponse()
            #expect(timedOut.status == 408)
            #expect(timedOut.problemType == "request-timeout")
            #expect(slow.isClosedByPeer())
            // Nothing of the half-sent request reached an upstream; the two complete ones did.
            #expect(h.upstreams[0].count == 2)
        }
    }

    @Test func gracefulShutdownFinishesInFlightRequestsAndFlushesCallLogs() async throws {
        try await GatewayHarness.run { h in
            let port = h.port
            let key = h.key.secret
            let slow = Task.detached { try rawRequest(port: port, "GET", "/orders/v1/slow?delay_ms=700", headers: ["X-API-Key": key]) }
            try await Task.sleep(for: .milliseconds(200))
            await h.stopGateway()
            let response = try await slow.value
            #expect(response.status == 200)
            let logged = try await h.database.client.query("SELECT count(*) FROM call_logs WHERE path LIKE '/orders/v1/slow%'").collect().first!.decode(Int.self)
            #expect(logged == 1)
            #expect((try? RawHTTPConnection(port: port)) == nil, "the listener is closed")
        }
    }

    static func residentMegabytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
}
