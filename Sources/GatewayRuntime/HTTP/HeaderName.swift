import NIOCore
import NIOConcurrencyHelpers
import Domain
import Atomics
/// Case-insensitive recognition of the header names the gateway acts on, without allocating.
enum HeaderName {
    enum Known {
        case host, contentLength, transferEncoding, connection, hopByHop, upgrade, apiKey, authorization, requestID, traceparent
        case forwardedFor, forwardedOther, userAgent, expect, other
        /// CORS: `Origin`, a preflight's `Access-Control-Request-Method/-Headers`, and any other `Access-Control-*`.
        case origin, corsRequestMethod, corsRequestHeaders, accessControl
    }

    static func classify<C: Collection>(_ name: C) -> Known where C.Element == UInt8 {
        switch name.count {
        case 2: return equals(name, "te") ? .hopByHop : .other
        case 4: return equals(name, "host") ? .host : .other
        case 6:
            if equals(name, "expect") { return .expect }
            if equals(name, "origin") { return .origin }
            return .other
        case 7:
            if equals(name, "trailer") { return .hopByHop }
            if equals(name, "upgrade") { return .upgrade }
            return .other
        case 9: return equals(name, "x-api-key") ? .apiKey : (equals(name, "forwarded") ? .forwardedOther : .other)
        case 10:
            if equals(name, "connection") { return .connection }
            if equals(name, "keep-alive") { return .hopByHop }
            if equals(name, "user-agent") { return .userAgent }
            return .other
        case 11: return equals(name, "traceparent") ? .traceparent : .other
        case 12: return equals(name, "x-request-id") ? .requestID : .other
        case 13: return equals(name, "authorization") ? .authorization : .other
        case 14: return equals(name, "content-length") ? .contentLength : .other
        case 15:
            if equals(name, "x-forwarded-for") { return .forwardedFor }
            return .other
        case 16:
            if equals(name, "proxy-connection") { return .hopByHop }
            if equals(name, "x-forwarded-host") { return .forwardedOther }
            return .other
        case 17:
            if equals(name, "transfer-encoding") { return .transferEncoding }
            if equals(name, "x-forwarded-proto") { return .forwardedOther }
            return .other
        case 29: return equals(name, "access-control-request-method") ? .corsRequestMethod : accessControl(name)
        case 30: return equals(name, "access-control-request-headers") ? .corsRequestHeaders : accessControl(name)
        case 22...: return accessControl(name)
        default: return .other
        }
    }

    /// Every `Access-Control-*` name is 22 characters or longer.
    private static func accessControl<C: Collection>(_ name: C) -> Known where C.Element == UInt8 {
        equals(name.prefix(15), "access-control-") ? .accessControl : .other
    }

    /// `name` equals the lower-case ASCII `lower`, ignoring case.
    @inline(__always)
    static func equals<C: Collection>(_ name: C, _ lower: StaticString) -> Bool where C.Element == UInt8 {
        guard name.count == lower.utf8CodeUnitCount else { return false }
        var pointer = lower.utf8Start
        for byte in name {
            let folded = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            if folded != pointer.pointee { return false }
            pointer += 1
        }
        return true
    }

    /// Calls `body` with each element of a comma-separated header value, spaces and tabs around
    /// it trimmed, empty elements included (callers decide what those mean), without allocating.
    static func forEachElement<E: Error>(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        var elementStart = 0
        var index = 0
        while index <= value.count {
            if index == value.count || value[index] == 0x2C {
                var start = elementStart
                var end = index
                while start < end, value[start] == 0x20 || value[start] == 0x09 { start += 1 }
                while end > start, value[end - 1] == 0x20 || value[end - 1] == 0x09 { end -= 1 }
                try body(UnsafeRawBufferPointer(rebasing: value[start..<end]))
                elementStart = index + 1
            }
            index += 1
        }
    }

    /// Whether a comma-separated header value lists `token` (case-insensitive, empty elements
    /// ignored), and whether it is the last element.
    static func listContains(_ value: UnsafeRawBufferPointer, _ token: StaticString) -> (contains: Bool, isLast: Bool) {
        var contains = false
        var isLast = false
        forEachElement(value) { element in
            guard !element.isEmpty else { return }
            isLast = equals(element, token)
            if isLast { contains = true }
        }
        return (contains, isLast)
    }
}
