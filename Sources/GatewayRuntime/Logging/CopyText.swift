import NIOCore
import Foundation

/// Rows of `COPY … FROM STDIN` (text format): tab-separated, `\N` for NULL, backslash escapes.
///
/// A row is written through one raw pointer into space reserved once: it is formatted on the
/// event loop as each call ends, and writing it field by field through `ByteBuffer`'s methods
/// (each with its own uniqueness, capacity and exclusivity checks) was the largest single item
/// of the request path.
enum CopyText {
    static let columns = [
        "ts", "request_id", "tenant_id", "api_id", "api_version_id", "application_id", "subscription_id", "key_prefix", "method", "path",
        "status", "upstream_target", "attempts", "bytes_in", "bytes_out", "total_ms", "upstream_ms", "client_ip", "user_agent", "error_kind",
        "gateway_id",
    ]

    /// The `YYYY-MM-DD HH:MM:SS` of the last second a row was written for (years 0...9999; others
    /// are written in full every time). Calls of the same second share it, so the calendar
    /// arithmetic and fourteen digits are done once a second, not per row.
    struct SecondText {
        fileprivate var second: Int64?
        fileprivate var text: (UInt64, UInt64, UInt64) = (0, 0, 0)  // the first 19 bytes
    }

    static func append(_ r: CallRecord, gatewayID: String, to buffer: inout ByteBuffer, second: inout SecondText) {
        // Methods are tokens of any length; a log keeps the first 64 characters (no real method is longer).
        let method = RequestText(r.method, maxCharacters: 64)
        let path = RequestText(r.path, maxCharacters: 2048)
        let userAgent = r.userAgent.map { RequestText($0, maxCharacters: 512) }
        // Every text may double when escaped; the five UUIDs (180 bytes), numbers, the timestamp and
        // tabs fit in the rest.
        let textBytes =
            r.requestID.utf8Count + (r.keyPrefix?.utf8.count ?? 0) + method.byteCount + path.byteCount
            + (r.upstreamTarget?.utf8.count ?? 0) + (r.clientIP?.utf8.count ?? 0) + (userAgent?.byteCount ?? 0) + (r.errorKind?.utf8.count ?? 0)
            + gatewayID.utf8.count
        buffer.writeRaw(maximumBytes: 640 + 2 * textBytes) { row in
            row.timestamp(r.timestamp, second: &second)
            row.field(r.requestID)
            row.field(r.tenantID)
            row.field(r.apiID)
            row.field(r.versionID)
            row.field(r.applicationID)
            row.field(r.subscriptionID)
            row.field(r.keyPrefix)
            row.field(method)
            row.field(path)
            row.integer(Int64(r.status))
            row.field(r.upstreamTarget)
            row.integer(Int64(r.attempts))
            row.integer(r.bytesIn)
            row.integer(r.bytesOut)
            row.milliseconds(r.totalMs)
            if let upstream = r.upstreamMs { row.milliseconds(upstream) } else { row.null() }
            row.field(r.clientIP)
            if let userAgent { row.field(userAgent) } else { row.null() }
            row.field(r.errorKind)
            row.field(gatewayID)
            row.byte(0x0A)
        }
    }

    /// The timestamp text alone (tests).
    static func timestamp(_ seconds: Double) -> String {
        var buffer = ByteBuffer()
        var second = SecondText()
        buffer.writeRaw(maximumBytes: 64) { $0.timestamp(seconds, second: &second) }
        return String(buffer: buffer)
    }

    /// Method, path or user agent as the client sent them: kept as bytes when they are short
    /// printable ASCII (the usual case); otherwise decoded as UTF-8 with invalid sequences
    /// replaced (one bad byte must not fail a whole COPY) and cut to `maxCharacters`.
    enum RequestText {
        case plain(ByteBuffer)
        case decoded(String)

        init(_ bytes: ByteBuffer, maxCharacters: Int) {
            let plain = bytes.readableBytes <= maxCharacters
                && bytes.withUnsafeReadableBytes { raw in !RawByteWriter.needsEscaping(raw, orNonASCII: true) }
            if plain {
                self = .plain(bytes)
            } else {
                let text = bytes.withUnsafeReadableBytes { String(decoding: $0, as: UTF8.self) }
                self = .decoded(String(text.prefix(maxCharacters)))
            }
        }

        var byteCount: Int {
            switch self {
            case .plain(let bytes): bytes.readableBytes
            case .decoded(let text): text.utf8.count
            }
        }
    }
}

/// The COPY text pieces of a row.
extension RawByteWriter {
    mutating func tab() { byte(0x09) }

    mutating func null() {
        byte(0x09)
        byte(0x5C)
        byte(0x4E)
    }

    mutating func field(_ value: String?) {
        guard let value else { return null() }
        tab()
        text(value)
    }

    mutating func field(_ value: UUID?) {
        guard let value else { return null() }
        tab()
        uuid(value)  // hex digits and dashes: nothing to escape
    }

    mutating func field(_ value: RequestID) {
        switch value {
        case .text(let text): field(text)
        case .random:
            tab()
            requestID(value)  // hex digits: nothing to escape
        }
    }

    mutating func field(_ value: CopyText.RequestText) {
        tab()
        switch value {
        case .plain(let bytes): bytes.withUnsafeReadableBytes { self.bytes($0) }  // checked: nothing to escape
        case .decoded(let value): text(value)
        }
    }

    private mutating func text(_ value: String) {
        if value.utf8.withContiguousStorageIfAvailable({ escaped(UnsafeRawBufferPointer($0)) }) == nil {
            Array(value.utf8).withUnsafeBytes { escaped($0) }
        }
    }

    /// Copies `bytes` whole when nothing needs escaping, else byte by byte with escapes (NUL,
    /// which COPY cannot carry, is dropped).
    private mutating func escaped(_ bytes: UnsafeRawBufferPointer) {
        if !Self.needsEscaping(bytes) {
            self.bytes(bytes)
            return
        }
        for value in bytes {
            switch value {
            case 0x5C: byte(0x5C); byte(0x5C)
            case 0x09: byte(0x5C); byte(UInt8(ascii: "t"))
            case 0x0A: byte(0x5C); byte(UInt8(ascii: "n"))
            case 0x0D: byte(0x5C); byte(UInt8(ascii: "r"))
            case 0x00: continue
            default: byte(value)
            }
        }
    }

    /// Whether any byte is a backslash or a control character (or, with `orNonASCII`, DEL or
    /// above); eight bytes per step: most log texts, ids among them, have nothing to escape.
    static func needsEscaping(_ bytes: UnsafeRawBufferPointer, orNonASCII: Bool = false) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // Existence tests (exact): a byte below 0x20; a byte equal to one of `ones * c` (zero after xor).
        func below20(_ word: UInt64) -> Bool { (word &- ones &* 0x20) & ~word & highs != 0 }
        func has(_ word: UInt64, _ byte: UInt64) -> Bool {
            let x = word ^ (ones &* byte)
            return (x &- ones) & ~x & highs != 0
        }
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if below20(word) || has(word, 0x5C) { return true }
            if orNonASCII, word & highs != 0 || has(word, 0x7F) { return true }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x5C || byte < 0x20 || (orNonASCII && byte >= 0x7F) { return true }
            index += 1
        }
        return false
    }

    mutating func integer(_ value: Int64) {
        tab()
        decimal(value)
    }

    /// Milliseconds with three decimals.
    mutating func milliseconds(_ value: Double) {
        tab()
        let micros = Int64((max(0, value) * 1000).rounded())
        decimal(micros / 1000)
        byte(UInt8(ascii: "."))
        fixedDigits(micros % 1000, count: 3)
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, which PostgreSQL reads as timestamptz.
    mutating func timestamp(_ seconds: Double, second cache: inout CopyText.SecondText) {
        let whole = Int64(seconds.rounded(.down))
        let micros = min(999_999, Int64(((seconds - Double(whole)) * 1_000_000).rounded()))
        if whole == cache.second {
            withUnsafeBytes(of: cache.text) { bytes(UnsafeRawBufferPointer(rebasing: $0[0..<19])) }
        } else {
            let start = position
            let day = CalendarPeriod.day(unixSeconds: whole)
            let (y, m, d) = CalendarPeriod.civil(fromDays: day)
            let s = whole - day * 86_400
            // Years outside 0...9999 (no clock of this century) keep the general form.
            if (0...9999).contains(y) { fixedDigits(y, count: 4) } else { decimal(y, minimumWidth: 4) }
            byte(UInt8(ascii: "-"))
            fixedDigits(m, count: 2)
            byte(UInt8(ascii: "-"))
            fixedDigits(d, count: 2)
            byte(UInt8(ascii: " "))
            fixedDigits(s / 3600, count: 2)
            byte(UInt8(ascii: ":"))
            fixedDigits(s / 60 % 60, count: 2)
            byte(UInt8(ascii: ":"))
            fixedDigits(s % 60, count: 2)
            let written = written(since: start)
            if written.count == 19 {
                cache.second = whole
                withUnsafeMutableBytes(of: &cache.text) { $0.copyMemory(from: written) }
            }
        }
        byte(UInt8(ascii: "."))
        fixedDigits(max(0, micros), count: 6)
        byte(UInt8(ascii: "+"))
        byte(UInt8(ascii: "0"))
        byte(UInt8(ascii: "0"))
    }
}
