import Foundation
import Testing

@testable import GatewayRuntime

/// Request smuggling defences: ambiguous framing is refused with 400 before anything reaches an
/// upstream; oversized heads get 431, oversized bodies 413.
@Suite(.serialized) struct FramingTests {
    static let attacks: [(String, String)] = [
        ("CL and TE", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("TE and CL", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
        ("differing CL", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
        ("CL list differing", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nContent-Length: 5, 6\r\n\r\nhello!"),
        ("negative CL", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nContent-Length: -1\r\n\r\n"),
        ("CL with plus", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nContent-Length: +5\r\n\r\nhello"),
        ("malformed chunk size", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
        ("chunk size with 0x", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
        ("TE not chunked last", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
        ("TE obfuscated", "POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
        ("obs-fold", "GET /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nX-Long: a\r\n b\r\n\r\n"),
        ("space before colon", "GET /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nTransfer-Encoding : chunked\r\n\r\n"),
        ("bare LF", "GET /orders/v1/x HTTP/1.1\nHost: x\r\nX-API-Key: KEY\r\n\r\n"),
        ("NUL in value", "GET /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nX-Evil: a\u{0}b\r\n\r\n"),
        ("control in value", "GET /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\nX-Evil: a\u{1}b\r\n\r\n"),
        ("two hosts", "GET /orders/v1/x HTTP/1.1\r\nHost: x\r\nHost: y\r\nX-API-Key: KEY\r\n\r\n"),
        ("no host", "GET /orders/v1/x HTTP/1.1\r\nX-API-Key: KEY\r\n\r\n"),
        ("absolute form", "GET http://evil/orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: KEY\r\n\r\n"),
    ]

    @Test func ambiguousFramingNeverReachesTheUpstream() async throws {
        try await GatewayHarness.run { h in
            for (name, attack) in Self.attacks {
                let connection = try RawHTTPConnection(port: h.port)
                try connection.send(attack.replacingOccurrences(of: "KEY", with: h.key.secret))
                let response = try connection.readResponse()
                #expect([400, 501].contains(response.status), "\(name): \(response.status) \(response.text)")
                #expect(response.header("Connection") == "close", "\(name)")
                #expect(connection.isClosedByPeer(), "\(name): the connection must be closed")
            }
            #expect(h.upstreams[0].count == 0, "an attack reached the upstream: \(h.upstreams[0].received.map(\.uri))")
            // A valid request still works afterwards.
            #expect(try h.call().status == 200)
        }
    }

    @Test func oversizedHeadsAndBodies() async throws {
        try await GatewayHarness.run(settings: ["portico.gateway.max.body.bytes": 1000]) { h in
            let huge = String(repeating: "a", count: 20_000)
            let head = try rawRequest(port: h.port, "GET", "/orders/v1/x", headers: ["X-API-Key": h.key.secret, "X-Big": huge])
            #expect(head.status == 431)
            #expect(head.problemType == "headers-too-large")
            let body = try h.call(method: "POST", body: Data(repeating: 1, count: 1001))
            #expect(body.status == 413)
            #expect(body.problemType == "payload-too-large")
            let connection = try RawHTTPConnection(port: h.port)
            try connection.send("POST /orders/v1/x HTTP/1.1\r\nHost: x\r\nX-API-Key: \(h.key.secret)\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + String(repeating: "b", count: 1024) + "\r\n400\r\n")
            #expect(try connection.readResponse().status == 413)
            #expect(try h.call(method: "POST", body: Data(repeating: 1, count: 1000)).status == 200)
            #expect(h.upstreams[0].received.allSatisfy { $0.bodyBytes <= 1000 })
        }
    }

    @Test func parserUnitCases() throws {
        func parse(_ text: String) throws(RequestHeadParser.Failure) -> RequestHead? {
            if case .head(let head, _) = try RequestHeadParser.parse(ByteBufferAllocatorCompat.buffer(text), maxHeadBytes: 16384) { return head }
            return nil
        }
        #expect(try parse("GET / HTTP/1.1\r\nHost: a\r\n") == nil)
        let head = try #require(try parse("POST /a/b?c=d HTTP/1.1\r\nHost: a:80\r\nContent-Length: 3, 3\r\nConnection: close, X-Drop\r\nX-Drop: 1\r\n\r\n"))
        #expect(head.path == "/a/b")
        #expect(head.targetString == "/a/b?c=d")
        #expect(head.contentLength == 3)
        #expect(head.connectionClose)
        #expect(head.headers.first { head.string($0.name) == "X-Drop" }?.kind == .hopByHop)
        // The plain forms take a path without Strings; they must agree with the general one.
        let plain = try #require(try parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0042\r\nConnection: Keep-Alive\r\n\r\n"))
        #expect(plain.contentLength == 42 && plain.connectionKeepAlive && !plain.connectionClose)
        #expect(try parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n")?.connectionClose == true)
        #expect(try parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n")?.contentLength == 5)
        #expect(throws: RequestHeadParser.Failure.self) { try parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") }
        #expect(throws: RequestHeadParser.Failure.self) { try parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5, 6\r\n\r\n") }
        #expect(throws: RequestHeadParser.Failure.self) { try parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456789\r\n\r\n") }
        #expect(throws: RequestHeadParser.Failure.versionNotSupported) { try parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n") }
        #expect(ClientSession.hasDotSegment(ByteBufferAllocatorCompat.buffer("/a/./b").readableBytesView))
        #expect(!ClientSession.hasDotSegment(ByteBufferAllocatorCompat.buffer("/a/.well-known/b").readableBytesView))
    }

    @Test func chunkedFramerFindsTheEndAndRejectsGarbage() throws {
        var framer = BodyFramer(mode: .chunked)
        let body = "4\r\nwiki\r\n0\r\nT: 1\r\n\r\nGET /next"
        let count = try framer.consume(ByteBufferAllocatorCompat.buffer(body).readableBytesView)
        #expect(framer.isComplete)
        #expect(count == body.utf8.count - "GET /next".utf8.count)
        #expect(framer.bodyBytes == 4)
        var bad = BodyFramer(mode: .chunked)
        #expect(throws: BodyFramer.Failure.self) { try bad.consume(ByteBufferAllocatorCompat.buffer("4\r\nwikiX\r\n").readableBytesView) }
    }
}

@Suite struct HeaderValueScanTests {
    /// The eight-bytes-at-a-time scan against a byte-by-byte one, at every length, start and position.
    @Test func wordWiseScanMatchesByteWise() {
        var random = FastRandom()
        let interesting: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x21, 0x7E, 0x7F, 0x80, 0xA0, 0xFF]
        for length in 0..<40 {
            for _ in 0..<200 {
                var bytes = (0..<length).map { _ in UInt8(0x21 + random.next() % 94) }
                for _ in 0..<Int(random.next() % 3) where length > 0 {
                    bytes[Int(random.next() % UInt64(length))] = interesting[Int(random.next() % UInt64(interesting.count))]
                }
                let start = length == 0 ? 0 : Int(random.next() % UInt64(length))
                bytes.withUnsafeBytes { raw in
                    let expected = raw[start...].firstIndex { $0 < 0x20 || $0 == 0x7F } ?? length
                    #expect(HeaderValueScan.firstControlByte(in: raw, from: start, end: length) == expected, "\(bytes) from \(start)")
                }
            }
        }
    }

    /// Values longer than a word, with what may and may not appear in them at every offset.
    @Test func parsersTreatEveryByteOfLongValuesAlike() throws {
        func request(_ value: [UInt8]) throws(RequestHeadParser.Failure) -> RequestHead? {
            var buffer = ByteBufferAllocatorCompat.buffer("GET / HTTP/1.1\r\nHost: a\r\nX-Long: ")
            buffer.writeBytes(value)
            buffer.writeString("\r\n\r\n")
            if case .head(let head, _) = try RequestHeadParser.parse(buffer, maxHeadBytes: 16384) { return head }
            return nil
        }
        for offset in 0..<24 {
            var value = Array(repeating: UInt8(ascii: "v"), count: 24)
            value[offset] = 0x09
            value[23 - offset] = 0xC3
            let head = try #require(try request(value))
            let field = try #require(head.headers.first { head.string($0.name) == "X-Long" })
            // Leading and trailing whitespace is not part of the value; a tab inside it is.
            let trimmed = value.drop { $0 == 0x09 }.reversed().drop { $0 == 0x09 }.reversed()
            #expect(Array(head.slice(field.value).readableBytesView) == Array(trimmed))
            for bad: UInt8 in [0x00, 0x0A, 0x1F, 0x7F] {
                value[offset] = bad
                #expect(throws: RequestHeadParser.Failure.self, "byte \(bad) at \(offset)") { try request(value) }
            }
            var response = ByteBufferAllocatorCompat.buffer("HTTP/1.1 200 OK\r\nX-Long: ")
            value[offset] = 0x01  // passed on as the upstream sent it
            response.writeBytes(value)
            response.writeString("\r\nContent-Length: 0\r\n\r\n")
            var spare: [Range<Int>] = []
            guard case .head(let parsed, _) = try ResponseHeadParser.parse(response, maxHeadBytes: 16384, spareLines: &spare) else {
                Issue.record("response head not parsed")
                continue
            }
            #expect(parsed.contentLength == 0)
            #expect(parsed.forwardedLines.count == 2)
        }
    }
}

@Suite struct TokenByteTests {
    @Test func tokenBytesAreExactlyRFC9110Tchar() {
        let tchar = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~".utf8)
        for value in 0...255 {
            let byte = UInt8(value)
            #expect(RequestHeadParser.isTokenByte(byte) == tchar.contains(byte), "byte \(value)")
        }
    }
}
