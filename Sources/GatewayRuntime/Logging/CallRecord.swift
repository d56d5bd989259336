import NIOCore
import Foundation

/// One call through the gateway, as written to `call_logs`. Never carries the key itself, only
/// its display prefix.
///
/// Method, path and user agent are slices of the request head as it arrived (no copies and no
/// `String`s on the request path); `CopyText` truncates, repairs invalid UTF-8 and escapes them
/// when the row is written.
struct CallRecord {
    var timestamp: Double  // unix seconds
    var requestID: RequestID
    // Ids as values, not text: a `String` of a UUID is a heap object, and copying four of them into
    // every record (and three into its rollup key) cost a retain and a release each per request.
    var tenantID: UUID?
    var apiID: UUID?
    var versionID: UUID?
    var applicationID: UUID?
    var subscriptionID: UUID?
    var keyPrefix: String?
    var method: ByteBuffer
    var path: ByteBuffer
    var status: Int
    var upstreamTarget: String?
    var attempts: Int
    var bytesIn: Int64
    var bytesOut: Int64
    var totalMs: Double
    var upstreamMs: Double?
    var clientIP: String?
    var userAgent: ByteBuffer?
    var errorKind: String?
}
