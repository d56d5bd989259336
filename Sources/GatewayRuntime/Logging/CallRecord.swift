import NIOCore
import NIOConcurrencyHelpers
import Domain
import Atomics
import Foundation

/// One call through the gateway, as written to `call_logs`. Never carries the key itself, only
/// its display prefix.
struct CallRecord: Sendable, Codable, Equatable {
    var timestamp: Double  // unix seconds
    var requestID: String
    var tenantID: String?
    var apiID: String?
    var versionID: String?
    var applicationID: String?
    var subscriptionID: UUID?
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
    var clientIP: String?
    var userAgent: String?
    var errorKind: String?
}
