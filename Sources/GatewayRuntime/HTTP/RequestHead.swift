import NIOConcurrencyHelpers
import Domain
import Atomics
import NIOCore

/// A parsed HTTP/1.x request head. Offsets point into the buffer the head was parsed from, so
/// nothing is copied until the head is rebuilt for the upstream.
struct RequestHead {
    /// The raw head bytes (request line through the blank line).
    var raw: ByteBuffer
    var method: Range<Int>
    var target: Range<Int>
    /// Where the path ends (before `?`), within `target`.
    var pathEnd: Int
    var version: HTTPVersionKind
    var headers: [HeaderField]
    /// Indexes into `headers` of the fields the gateway acts on.
    var host: Int?
    var contentLength: Int64?
    var chunked = false
    var connectionClose = false
    var connectionKeepAlive = false
    var apiKey: Int?
    var authorization: Int?
    var requestID: Int?
    var traceparent: Int?
    var forwardedFor: Int?
    var userAgent: Int?
    /// CORS: `Origin`, and a preflight's `Access-Control-Request-Method` / `-Headers`.
    var origin: Int?
    var corsRequestMethod: Int?
    var corsRequestHeaders: Int?
    var expectContinue = false
    var upgrade = false

    enum HTTPVersionKind: Equatable {
        case http10
        case http11
    }

    struct HeaderField {
        var name: Range<Int>
        var value: Range<Int>
        /// The field's hop-by-hop or gateway-consumed role, decided while parsing.
        var kind: Kind

        enum Kind: Equatable {
            case passThrough
            /// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade, Transfer-Encoding.
            case hopByHop
            /// Host, X-Forwarded-*, Forwarded, X-Request-Id, traceparent: rewritten by the gateway.
            case rewritten
            /// The subscription key (X-API-Key, or an Authorization bearer carrying it).
            case credential
        }
    }

    func string(_ range: Range<Int>) -> String {
        raw.getString(at: raw.readerIndex + range.lowerBound, length: range.count) ?? ""
    }

    /// The bytes of `range`, sharing the head's storage.
    func slice(_ range: Range<Int>) -> ByteBuffer {
        raw.getSlice(at: raw.readerIndex + range.lowerBound, length: range.count) ?? ByteBuffer()
    }

    /// A copy of the bytes of the field at `index`'s value.
    func bytes(ofValueAt index: Int) -> [UInt8] {
        raw.withUnsafeReadableBytes { Array(UnsafeRawBufferPointer(rebasing: $0[headers[index].value])) }
    }

    func value(_ index: Int?) -> String? {
        guard let index else { return nil }
        return string(headers[index].value)
    }

    var path: String { string(target.lowerBound..<pathEnd) }
    var targetString: String { string(target) }

    /// Methods that can be retried on another target without changing their meaning.
    var isIdempotent: Bool { methodIs(Self.idempotentMethods) }

    var isHEAD: Bool { methodIs(Self.head) }

    var isOPTIONS: Bool { methodIs(Self.options) }

    private static let idempotentMethods: [[UInt8]] = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"].map { Array($0.utf8) }
    private static let head: [[UInt8]] = [Array("HEAD".utf8)]
    private static let options: [[UInt8]] = [Array("OPTIONS".utf8)]

    /// Compares the method's bytes (no `String` made).
    func methodIs(_ methods: [[UInt8]]) -> Bool {
        raw.withUnsafeReadableBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[method])
            return methods.contains { $0.count == bytes.count && $0.elementsEqual(bytes) }
        }
    }

    var keepAlive: Bool {
        switch version {
        case .http11: !connectionClose
        case .http10: connectionKeepAlive && !connectionClose
        }
    }
}
