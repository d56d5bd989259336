import NIOConcurrencyHelpers
import Domain
import Atomics
import Foundation
import NIOCore

/// The gateway's own answers (RFC 9457 problem documents), each with a distinct `type` so a
/// developer can tell "no key" from "wrong key" from "not subscribed" at a glance.
struct GatewayProblem {
    static let typeBase = "https://portico.dev/problems/gateway/"

    var status: Int
    var type: String
    var title: String
    var detail: String
    /// Extra header lines ("Name: value\r\n").
    var headers: String = ""

    static func noRoute() -> GatewayProblem {
        .init(status: 404, type: "no-route", title: "No API here", detail: "No published API version serves this path on this host.")
    }
    static func retired(_ route: CompiledRoute) -> GatewayProblem {
        .init(status: 410, type: "version-retired", title: "API version retired",
            detail: "Version \(route.route.version) of \(route.route.apiName) has been retired." + (route.route.successorBasePath.map { " Use \($0)." } ?? ""))
    }
    static func missingKey() -> GatewayProblem {
        .init(status: 401, type: "missing-key", title: "Subscription key required",
            detail: "Send your application's key in the X-API-Key header or as Authorization: Bearer <key>.",
            headers: "WWW-Authenticate: Bearer realm=\"portico\"\r\n")
    }
    static func invalidKey() -> GatewayProblem {
        .init(status: 401, type: "invalid-key", title: "Unknown key", detail: "This key is not valid. Check it in the portal under My applications.",
            headers: "WWW-Authenticate: Bearer realm=\"portico\", error=\"invalid_token\"\r\n")
    }
    static func disabledKey(prefix: String) -> GatewayProblem {
        .init(status: 401, type: "key-disabled", title: "Key disabled", detail: "The key \(prefix)… is disabled; enable it in the portal or use the other key slot.",
            headers: "WWW-Authenticate: Bearer realm=\"portico\", error=\"invalid_token\"\r\n")
    }
    static func originNotAllowed(_ route: CompiledRoute) -> GatewayProblem {
        .init(status: 403, type: "origin-not-allowed", title: "Origin not allowed",
            detail: "\(route.route.basePath) does not accept calls from pages on this origin; its publisher lists the allowed ones.")
    }
    static func methodNotAllowed(_ route: CompiledRoute) -> GatewayProblem {
        .init(status: 405, type: "method-not-allowed", title: "Method not allowed",
            detail: "\(route.route.basePath) serves \(route.allowHeader) only.", headers: "Allow: \(route.allowHeader)\r\n")
    }
    static func revokedKey(prefix: String) -> GatewayProblem {
        .init(status: 401, type: "key-revoked", title: "Key revoked", detail: "The key \(prefix)… was revoked; create a new key in the portal under My applications.",
            headers: "WWW-Authenticate: Bearer realm=\"portico\", error=\"invalid_token\"\r\n")
    }
    static func expiredKey(prefix: String) -> GatewayProblem {
        .init(status: 401, type: "key-expired", title: "Key expired", detail: "The key \(prefix)… has expired; rotate it in the portal.",
            headers: "WWW-Authenticate: Bearer realm=\"portico\", error=\"invalid_token\"\r\n")
    }
    static func notSubscribed(_ route: CompiledRoute, state: String?) -> GatewayProblem {
        let detail: String
        switch state {
        case "pending": detail = "Your subscription to \(route.route.apiName) \(route.route.version) is waiting for approval."
        case "suspended": detail = "Your subscription to \(route.route.apiName) \(route.route.version) is suspended."
        default: detail = "Your application has no active subscription to \(route.route.apiName) \(route.route.version). Request one in the portal."
        }
        return .init(status: 403, type: state.map { "subscription-\($0)" } ?? "not-subscribed", title: "No active subscription", detail: detail)
    }
    static func rateLimited(retryAfter: Int64) -> GatewayProblem {
        .init(status: 429, type: "rate-limited", title: "Rate limit exceeded", detail: "Slow down: retry after \(retryAfter) s.",
            headers: "Retry-After: \(retryAfter)\r\n")
    }
    static func quotaExceeded(retryAfter: Int64) -> GatewayProblem {
        .init(status: 429, type: "quota-exceeded", title: "Quota used up", detail: "The plan's quota for this period is used up; it resets in \(retryAfter) s.",
            headers: "Retry-After: \(retryAfter)\r\n")
    }
    static func payloadTooLarge(limit: Int64) -> GatewayProblem {
        .init(status: 413, type: "payload-too-large", title: "Request body too large", detail: "The limit is \(limit) bytes.")
    }
    static func requestTimeout(seconds: Int) -> GatewayProblem {
        .init(status: 408, type: "request-timeout", title: "Request timeout", detail: "The request head did not arrive within \(seconds) seconds.")
    }
    static func headersTooLarge() -> GatewayProblem {
        .init(status: 431, type: "headers-too-large", title: "Request header fields too large", detail: "The request head exceeds the gateway's limit.")
    }
    static func badRequest(_ reason: String) -> GatewayProblem {
        .init(status: 400, type: "bad-request", title: "Malformed request", detail: "The request was refused: \(reason).")
    }
    static func notImplemented(_ reason: String) -> GatewayProblem {
        .init(status: 501, type: "not-implemented", title: "Not implemented", detail: "The gateway does not support \(reason).")
    }
    static func versionNotSupported() -> GatewayProblem {
        .init(status: 505, type: "http-version", title: "HTTP version not supported", detail: "Use HTTP/1.1.")
    }
    static func noHealthyUpstream() -> GatewayProblem {
        .init(status: 503, type: "no-healthy-upstream", title: "Upstream unavailable", detail: "Every upstream target of this API is down; try again shortly.",
            headers: "Retry-After: 5\r\n")
    }
    static func badGateway() -> GatewayProblem {
        .init(status: 502, type: "bad-gateway", title: "Upstream failed", detail: "The upstream could not be reached or sent an invalid response.")
    }
    static func gatewayTimeout() -> GatewayProblem {
        .init(status: 504, type: "upstream-timeout", title: "Upstream timed out", detail: "The upstream did not answer in time.")
    }
    static func faultInjected(status: Int) -> GatewayProblem {
        .init(status: status, type: "fault-injected", title: "Injected fault", detail: "This API version is configured to fail a share of calls (fault injection).")
    }
    static func unavailable() -> GatewayProblem {
        .init(status: 503, type: "not-ready", title: "Gateway starting", detail: "The gateway has no configuration yet.", headers: "Retry-After: 1\r\n")
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 410: "Gone"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Error"
        }
    }

    /// The whole response: head (with `extraHeaders`) and JSON body, in one buffer. An answer to
    /// HEAD keeps the head (Content-Length included) and leaves the body out: a keep-alive client
    /// would read body bytes as the start of its next response.
    func encode(requestID: RequestID, extraHeaders: [UInt8], close: Bool, forHEAD: Bool = false, allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = "{\"type\":\"\(Self.typeBase)\(type)\",\"title\":\"\(Self.escape(title))\",\"status\":\(status),\"detail\":\"\(Self.escape(detail))\",\"requestId\":\"\(Self.escape(requestID.description))\"}"
        var buffer = allocator.buffer(capacity: 512 + body.utf8.count)
        buffer.writeString("HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\nContent-Type: application/problem+json\r\nContent-Length: \(body.utf8.count)\r\n")
        buffer.writeString("X-Request-Id: \(requestID)\r\n")
        buffer.writeString(headers)
        buffer.writeBytes(extraHeaders)
        if close { buffer.writeString("Connection: close\r\n") }
        buffer.writeString("\r\n")
        if !forHEAD { buffer.writeString(body) }
        return buffer
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
