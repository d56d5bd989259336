import NIOConcurrencyHelpers
import Domain
import Atomics
import NIOCore

/// The upstream response head, parsed only as far as the gateway needs: status, framing,
/// connection reuse, and which lines to drop when forwarding.
struct ResponseHead {
    var raw: ByteBuffer
    var status: Int
    /// End of the status line including its CRLF.
    var statusLineEnd: Int
    /// Header lines to forward, as ranges of whole lines (including CRLF).
    var forwardedLines: [Range<Int>]
    /// The upstream's `Access-Control-*` lines: forwarded unless the version has its own CORS policy.
    var accessControlLines: [Range<Int>] = []
    var contentLength: Int64?
    var chunked = false
    var connectionClose = false
    var http10 = false

    /// Body framing for a response to a request with the given method (RFC 9112 §6.3).
    func bodyMode(requestWasHEAD: Bool) -> BodyFramer.Mode {
        if requestWasHEAD || (100..<200).contains(status) || status == 204 || status == 304 { return .none }
        if chunked { return .chunked }
        if let contentLength { return .length(contentLength) }
        return .untilClose
    }
}

enum ResponseHeadParser {
    enum Failure: Error, Equatable {
        case malformed(String)
        case tooLarge
    }

    enum Result {
        case incomplete
        case head(ResponseHead, consumed: Int)
    }

    /// Scans through one raw pointer, like `RequestHeadParser`, for the same reason.
    static func parse(_ buffer: ByteBuffer, maxHeadBytes: Int = 64 * 1024) throws(Failure) -> Result {
        var spare: [Range<Int>] = []
        return try parse(buffer, maxHeadBytes: maxHeadBytes, spareLines: &spare)
    }

    /// `spareLines`: an emptied line list whose storage the head may use (the session hands back
    /// the previous response's, so a keep-alive connection allocates none per response).
    static func parse(_ buffer: ByteBuffer, maxHeadBytes: Int = 64 * 1024, spareLines: inout [Range<Int>]) throws(Failure) -> Result {
        var result = Result.incomplete
        let failure = buffer.withUnsafeReadableBytes { view -> Failure? in
            do throws(Failure) {
                result = try parse(buffer, view, maxHeadBytes: maxHeadBytes, spareLines: &spareLines)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        return result
    }

    private static func parse(
        _ buffer: ByteBuffer, _ view: UnsafeRawBufferPointer, maxHeadBytes: Int, spareLines: inout [Range<Int>]
    ) throws(Failure) -> Result {
        guard let headEnd = HeadEnd.find(in: view, from: 0, limit: min(view.count, maxHeadBytes)) else {
            if view.count >= maxHeadBytes { throw .tooLarge }
            return .incomplete
        }
        let raw = buffer.getSlice(at: buffer.readerIndex, length: headEnd)!
        let bytes = UnsafeRawBufferPointer(rebasing: view[0..<headEnd])
        let b = 0
        // "HTTP/1.x SSS"
        guard bytes.count >= 16, bytes[b] == 0x48, bytes[b + 1] == 0x54, bytes[b + 2] == 0x54, bytes[b + 3] == 0x50, bytes[b + 4] == 0x2F,
            bytes[b + 5] == 0x31, bytes[b + 6] == 0x2E, bytes[b + 8] == 0x20
        else { throw .malformed("status line") }
        var status = 0
        for offset in 9..<12 {
            let digit = bytes[b + offset]
            guard digit >= 0x30, digit <= 0x39 else { throw .malformed("status code") }
            status = status * 10 + Int(digit - 0x30)
        }
        var position = b + 12
        while position < bytes.count, bytes[position] != 0x0A { position += 1 }
        position += 1
        var lines: [Range<Int>] = []
        swap(&lines, &spareLines)
        lines.removeAll(keepingCapacity: true)
        var head = ResponseHead(raw: raw, status: status, statusLineEnd: position - b, forwardedLines: lines, http10: bytes[b + 7] == 0x30)
        if head.forwardedLines.capacity < 12 { head.forwardedLines.reserveCapacity(12) }
        if head.http10 { head.connectionClose = true }
        let end2 = bytes.count - 2
        var conflictingLengths = false
        while position < end2 {
            let lineStart = position
            let nameStart = position
            while position < end2, bytes[position] != 0x3A, bytes[position] != 0x0A { position += 1 }
            guard position < end2, bytes[position] == 0x3A else { throw .malformed("header line") }
            let name = bytes[nameStart..<position]
            position += 1
            while position < end2, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
            let valueStart = position
            // Control bytes other than CR and LF pass, as the upstream sent them.
            position = HeaderValueScan.firstControlByte(in: bytes, from: position, end: bytes.count)
            while position < bytes.count, bytes[position] != 0x0D, bytes[position] != 0x0A { position += 1 }
            let valueEnd = position
            while position < bytes.count, bytes[position] != 0x0A { position += 1 }
            position += 1
            let line = (lineStart - b)..<(position - b)
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            switch HeaderName.classify(name) {
            case .contentLength:
                var length: Int64 = 0
                guard !value.isEmpty, value.count <= 18 else { throw .malformed("Content-Length") }
                for byte in value {
                    guard byte >= 0x30, byte <= 0x39 else { throw .malformed("Content-Length") }
                    length = length &* 10 &+ Int64(byte - 0x30)
                }
                if let existing = head.contentLength, existing != length { conflictingLengths = true }
                head.contentLength = length
                head.forwardedLines.append(line)
            case .transferEncoding:
                if HeaderName.listContains(value, "chunked").isLast { head.chunked = true }
                head.forwardedLines.append(line)
            case .connection:
                if HeaderName.listContains(value, "close").contains { head.connectionClose = true }
            case .hopByHop, .upgrade:
                break
            case .requestID:
                // The gateway sets X-Request-Id itself; an upstream echoing it must not duplicate it.
                break
            case .accessControl, .corsRequestMethod, .corsRequestHeaders:
                head.accessControlLines.append(line)
            default:
                head.forwardedLines.append(line)
            }
        }
        if head.chunked {
            // A response with both is framed by Transfer-Encoding (RFC 9112 §6.3); the length must not reach the client.
            head.contentLength = nil
            head.forwardedLines.removeAll { line in
                let bytes = UnsafeRawBufferPointer(rebasing: view[line])
                guard let colon = bytes.firstIndex(of: 0x3A) else { return false }
                return HeaderName.classify(bytes[bytes.startIndex..<colon]) == .contentLength
            }
        } else if conflictingLengths {
            // Which length frames the body would be a guess, and a wrong guess desynchronises the connection.
            throw .malformed("conflicting Content-Length values")
        }
        return .head(head, consumed: headEnd)
    }
}
