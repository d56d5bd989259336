import Domain
import Foundation
import Hummingbird

struct TrafficSummaryResponse: ResponseEncodable, Sendable {
    var from: Date
    var to: Date
    var requests: Int64
    var clientErrors: Int64
    var serverErrors: Int64
    /// Share of calls answered with 5xx.
    var errorRate: Double
    var p50Ms: Double?
    var p95Ms: Double?
    var p99Ms: Double?
    var averageMs: Double?

    init(_ s: TrafficSummary, from: Date, to: Date) {
        self.from = from
        self.to = to
        requests = s.requests
        clientErrors = s.clientErrors
        serverErrors = s.serverErrors
        errorRate = s.requests == 0 ? 0 : Double(s.serverErrors) / Double(s.requests)
        p50Ms = s.p50Ms
        p95Ms = s.p95Ms
        p99Ms = s.p99Ms
        averageMs = s.averageMs
    }
}

struct TimeseriesResponse: ResponseEncodable, Sendable {
    struct Point: Encodable, Sendable {
        var bucket: Date
        var requests: Int64
        var clientErrors: Int64
        var serverErrors: Int64
        var p50Ms: Double?
        var p95Ms: Double?
        var p99Ms: Double?
    }

    var intervalSeconds: Int
    var items: [Point]
}

struct ConsumerTrafficResponse: Encodable, Sendable {
    var applicationId: UUID
    var applicationName: String
    var teamName: String
    var requests: Int64
    var errors: Int64
}

struct StatusCountResponse: Encodable, Sendable {
    var status: Int
    var count: Int64
}

struct CallLogResponse: ResponseEncodable, Sendable {
    var timestamp: Date
    var requestId: String
    var apiId: UUID?
    var apiName: String?
    var apiVersionId: UUID?
    var version: String?
    var applicationId: UUID?
    var applicationName: String?
    var subscriptionId: UUID?
    var keyPrefix: String?
    var method: String
    var path: String
    var status: Int
    var upstreamTarget: String?
    var attempts: Int
    var bytesIn: Int64
    var bytesOut: Int64
    var totalMs: Double
    var upstreamMs: Double?
    var clientIp: String?
    var userAgent: String?
    var errorKind: String?

    init(_ e: CallLogEntry) {
        timestamp = e.timestamp
        requestId = e.requestID
        apiId = e.apiID
        apiName = e.apiName
        apiVersionId = e.versionID
        version = e.version
        applicationId = e.applicationID
        applicationName = e.applicationName
        subscriptionId = e.subscriptionID
        keyPrefix = e.keyPrefix
        method = e.method
        path = e.path
        status = e.status
        upstreamTarget = e.upstreamTarget
        attempts = e.attempts
        bytesIn = e.bytesIn
        bytesOut = e.bytesOut
        totalMs = e.totalMs
        upstreamMs = e.upstreamMs
        clientIp = e.clientIP
        userAgent = e.userAgent
        errorKind = e.errorKind
    }
}
