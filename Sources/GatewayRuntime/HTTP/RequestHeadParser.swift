import NIOConcurrencyHelpers
import Domain
import Atomics
import NIOCore

/// Parses request heads byte by byte and refuses everything ambiguous (RFC 9112 §11.2 request
/// smuggling defences): both Content-Length and Transfer-Encoding, differing Content-Length
/// values, transfer codings other than a final `chunked`, obs-fold, bare CR or LF, control or
/// non-token bytes in names, control bytes in values.
enum RequestHeadParser {
    enum Failure: Error, Equatable {
        /// 400 with this reason.
        case badRequest(String)
        /// 431: the head is larger than allowed.
        case headersTooLarge
        /// 505.
        case versionNotSupported
        /// 501: a transfer coding the gateway does not implement.
        case notImplemented(String)
    }

    enum Result {
        case incomplete
        case head(RequestHead, consumed: Int)
    }

    static let maxHeaderCount = 100

    /// Parses a head from the readable bytes of `buffer` without consuming them.
    ///
    /// Scans through one raw pointer: indexing a `ByteBufferView` byte by byte costs a reference
    /// count round trip and a dynamic exclusivity check per byte, which made this parser one of
    /// the largest items in the gateway's profile.
    static func parse(_ buffer: ByteBuffer, maxHeadBytes: Int) throws(Failure) -> Result {
        var spare: [RequestHead.HeaderField] = []
        return try parse(buffer, maxHeadBytes: maxHeadBytes, spareHeaders: &spare)
    }

    /// `spareHeaders`: an emptied field list whose storage the head may use (the session hands
    /// back the previous request's, so a keep-alive connection allocates none per request).
    static func parse(_ buffer: ByteBuffer, maxHeadBytes: Int, spareHeaders: inout [RequestHead.HeaderField]) throws(Failure) -> Result {
        // The head leaves the closure through a captured variable: returned inside a
        // `Swift.Result`, it was copied (a retain and release per reference it holds).
        var parsed: RequestHead?
        var consumed = 0
        let failure = buffer.withUnsafeReadableBytes { bytes -> Failure? in
            // Find the end of the head ("\r\n\r\n") within the limit; tolerate leading CRLFs (RFC 9112 §2.2).
            var start = 0
            while start + 1 < bytes.count, bytes[start] == 0x0D, bytes[start + 1] == 0x0A { start += 2 }
            guard let headEnd = HeadEnd.find(in: bytes, from: start, limit: min(bytes.count, start + maxHeadBytes)) else {
                return bytes.count - start >= maxHeadBytes ? .headersTooLarge : nil
            }
            let raw = buffer.getSlice(at: buffer.readerIndex + start, length: headEnd - start)!
            do throws(Failure) {
                var headers: [RequestHead.HeaderField] = []
                swap(&headers, &spareHeaders)
                headers.removeAll(keepingCapacity: true)
                parsed = try parseHead(raw, UnsafeRawBufferPointer(rebasing: bytes[start..<headEnd]), headers: headers)
                consumed = headEnd
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        guard let head = consume parsed else { return .incomplete }
        return .head(head, consumed: consumed)
    }

    /// `bytes` are the readable bytes of `raw` (request line through the blank line).
    private static func parseHead(_ raw: ByteBuffer, _ bytes: UnsafeRawBufferPointer, headers: consuming [RequestHead.HeaderField]) throws(Failure) -> RequestHead {
        var position = 0
        let end = bytes.count - 2  // before the final CRLF

        // Request line: method SP request-target SP HTTP-version CRLF
        let methodStart = position
        while position < end, isTokenByte(bytes[position]) { position += 1 }
        guard position > methodStart, position < end, bytes[position] == 0x20 else { throw .badRequest("malformed request line") }
        let method = (methodStart)..<(position)
        position += 1
        let targetStart = position
        var pathEnd: Int?
        while position < end, bytes[position] > 0x20, bytes[position] != 0x7F {
            if bytes[position] == 0x3F, pathEnd == nil { pathEnd = position }
            position += 1
        }
        guard position > targetStart, position < end, bytes[position] == 0x20 else { throw .badRequest("malformed request target") }
        guard bytes[targetStart] == 0x2F else { throw .badRequest("only origin-form request targets are accepted") }
        let target = (targetStart)..<(position)
        position += 1
        guard position + 8 <= end, bytes[position] == 0x48, bytes[position + 1] == 0x54, bytes[position + 2] == 0x54, bytes[position + 3] == 0x50,
            bytes[position + 4] == 0x2F, bytes[position + 6] == 0x2E
        else { throw .badRequest("malformed HTTP version") }
        let version: RequestHead.HTTPVersionKind
        switch (bytes[position + 5], bytes[position + 7]) {
        case (0x31, 0x31): version = .http11
        case (0x31, 0x30): version = .http10
        default: throw .versionNotSupported
        }
        position += 8
        guard position + 1 < bytes.count, bytes[position] == 0x0D, bytes[position + 1] == 0x0A else { throw .badRequest("malformed request line") }
        position += 2

        var head = RequestHead(
            raw: raw, method: method, target: target, pathEnd: (pathEnd ?? target.upperBound), version: version, headers: headers)
        var transferEncoding: String?
        var sawContentLength = false
        /// Lower-cased names listed in `Connection` (hop-by-hop by declaration). Kept here, not in
        /// the head: every reference a head holds costs a retain and release per copy.
        var connectionTokens: [String] = []

        while position < end {
            if bytes[position] == 0x20 || bytes[position] == 0x09 { throw .badRequest("obsolete line folding is not allowed") }
            let nameStart = position
            while position < end, isTokenByte(bytes[position]) { position += 1 }
            guard position > nameStart, position < end, bytes[position] == 0x3A else { throw .badRequest("malformed header name") }
            let nameEnd = position
            position += 1
            while position < end, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
            let valueStart = position
            while true {
                position = HeaderValueScan.firstControlByte(in: bytes, from: position, end: end)
                guard position < end, bytes[position] == 0x09 else { break }
                position += 1
            }
            if position < end, bytes[position] != 0x0D { throw .badRequest("invalid byte in a header value") }
            var valueEnd = position
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            guard position + 1 < bytes.count, bytes[position] == 0x0D, bytes[position + 1] == 0x0A else { throw .badRequest("bare CR in a header") }
            position += 2
            guard head.headers.count < maxHeaderCount else { throw .headersTooLarge }

            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            var field = RequestHead.HeaderField(name: (nameStart)..<(nameEnd), value: (valueStart)..<(valueEnd), kind: .passThrough)
            let index = head.headers.count
            switch HeaderName.classify(bytes[nameStart..<nameEnd]) {
            case .host:
                if head.host != nil { throw .badRequest("more than one Host header") }
                head.host = index
                field.kind = .rewritten
            case .contentLength:
                // "5, 5" is a list of equal values (RFC 9110 §8.6); anything else differing is ambiguous.
                try HeaderName.forEachElement(value) { (element) throws(Failure) in
                    guard !element.isEmpty, element.count <= 18, element.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                        throw .badRequest("invalid Content-Length")
                    }
                    let length = element.reduce(Int64(0)) { $0 &* 10 &+ Int64($1 &- 0x30) }
                    if let existing = head.contentLength, existing != length { throw .badRequest("conflicting Content-Length values") }
                    head.contentLength = length
                }
                sawContentLength = true
                field.kind = .hopByHop  // re-emitted by the gateway from the parsed value
            case .transferEncoding:
                let text = (String(decoding: value, as: UTF8.self)).lowercased()
                transferEncoding = transferEncoding.map { $0 + "," + text } ?? text
                field.kind = .hopByHop
            case .connection:
                // Strings only for the names of other hop-by-hop fields (rare).
                HeaderName.forEachElement(value) { element in
                    if HeaderName.equals(element, "close") {
                        head.connectionClose = true
                    } else if HeaderName.equals(element, "keep-alive") {
                        head.connectionKeepAlive = true
                    } else if !element.isEmpty {
                        connectionTokens.append(String(decoding: element, as: UTF8.self).lowercased())
                    }
                }
                field.kind = .hopByHop
            case .hopByHop:
                field.kind = .hopByHop
            case .upgrade:
                head.upgrade = true
                field.kind = .hopByHop
            case .apiKey:
                head.apiKey = index
                field.kind = .credential
            case .authorization:
                head.authorization = index
            case .requestID:
                head.requestID = index
                field.kind = .rewritten
            case .traceparent:
                head.traceparent = index
                field.kind = .rewritten
            case .forwardedFor:
                head.forwardedFor = index
                field.kind = .rewritten
            case .forwardedOther:
                field.kind = .rewritten
            case .origin:
                head.origin = index
            case .corsRequestMethod:
                head.corsRequestMethod = index
            case .corsRequestHeaders:
                head.corsRequestHeaders = index
            case .userAgent:
                head.userAgent = index
            case .expect:
                let text = (String(decoding: value, as: UTF8.self)).lowercased()
                if text == "100-continue" { head.expectContinue = true }
            case .other, .accessControl:
                break
            }
            if head.headers.isEmpty { head.headers.reserveCapacity(12) }
            head.headers.append(field)
        }

        if let transferEncoding {
            if sawContentLength { throw .badRequest("both Content-Length and Transfer-Encoding") }
            let codings = transferEncoding.split(separator: ",").map { $0.trimmingSpaces }
            guard codings.last == "chunked" else { throw .badRequest("Transfer-Encoding must end with chunked") }
            guard codings.count == 1 else { throw .notImplemented("transfer codings other than chunked") }
            if version == .http10 { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            head.chunked = true
        }
        if version == .http11 && head.host == nil { throw .badRequest("missing Host header") }
        if !connectionTokens.isEmpty {
            // Fields named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
            for index in head.headers.indices where head.headers[index].kind == .passThrough {
                let name = head.string(head.headers[index].name).lowercased()
                if connectionTokens.contains(name) { head.headers[index].kind = .hopByHop }
            }
        }
        return head
    }

    /// RFC 9110 tchar, as two 64-bit masks over ASCII (a lazily built table cost a global
    /// accessor and a bounds check per byte).
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return (tokenMaskLow >> UInt64(byte)) & 1 == 1 }
        if byte < 128 { return (tokenMaskHigh >> UInt64(byte - 64)) & 1 == 1 }
        return false
    }

    /// Bits 0–63: `!#$%&'*+-.` and digits. Bits 64–127: letters and `^_`|~`.
    private static let tokenMaskLow: UInt64 = 0x03FF_6CFA_0000_0000
    private static let tokenMaskHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
