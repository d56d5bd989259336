import Foundation

/// One call through the gateway, as the portal shows it.
public struct CallLogEntry: Sendable, Equatable {
    public var timestamp: Date
    public var requestID: String
    public var apiID: UUID?
    public var apiName: String?
    public var versionID: UUID?
    public var version: String?
    public var applicationID: UUID?
    public var applicationName: String?
    public var subscriptionID: UUID?
    public var keyPrefix: String?
    public var method: String
    public var path: String
    public var status: Int
    public var upstreamTarget: String?
    public var attempts: Int
    public var bytesIn: Int64
    public var bytesOut: Int64
    public var totalMs: Double
    public var upstreamMs: Double?
    public var clientIP: String?
    public var userAgent: String?
    public var errorKind: String?
}

/// Aggregates of calls over a time range.
public struct TrafficSummary: Sendable, Equatable {
    public var requests: Int64
    public var clientErrors: Int64
    public var serverErrors: Int64
    public var p50Ms: Double?
    public var p95Ms: Double?
    public var p99Ms: Double?
    public var averageMs: Double?
}

public struct TrafficPoint: Sendable, Equatable {
    public var bucket: Date
    public var summary: TrafficSummary
}

public struct ConsumerTraffic: Sendable, Equatable {
    public var applicationID: UUID
    public var applicationName: String
    public var teamName: String
    public var requests: Int64
    public var errors: Int64
}

public struct StatusCount: Sendable, Equatable {
    public var status: Int
    public var count: Int64
}
