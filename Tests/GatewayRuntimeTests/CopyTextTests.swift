import Foundation
import NIOCore
import Testing

@testable import GatewayRuntime

@Suite struct CopyTextTests {
    @Test func rowsAreEscapedAndFormattedForCopy() {
        var record = CallRecord(
            timestamp: 1_767_225_600.25, requestID: "r1", method: ByteBuffer(string: "GET"), path: ByteBuffer(string: "/a\tb\\c\nd"), status: 200, attempts: 1, bytesIn: 10, bytesOut: 2000,
            totalMs: 1.23456, clientIP: "127.0.0.1")
        record.subscriptionID = UUID(uuidString: "00000000-0000-0000-0000-000000000001")
        var buffer = ByteBuffer()
        var second = CopyText.SecondText()
        CopyText.append(record, gatewayID: "gw", to: &buffer, second: &second)
        let fields = String(buffer: buffer).dropLast().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        #expect(fields.count == CopyText.columns.count)
        #expect(fields[0] == "2026-01-01 00:00:00.250000+00")
        #expect(fields[2] == "\\N")
        #expect(fields[6] == "00000000-0000-0000-0000-000000000001")
        #expect(fields[9] == "/a\\tb\\\\c\\nd")
        #expect(fields[15] == "1.235")
        #expect(fields[16] == "\\N")
        #expect(fields.last == "gw")
        #expect(CopyText.timestamp(0.000001) == "1970-01-01 00:00:00.000001+00")
    }

    @Test func requestBytesAreCutRepairedAndEscaped() {
        var record = CallRecord(
            timestamp: 0, requestID: "r", method: ByteBuffer(string: "GET"), path: ByteBuffer(string: "/" + String(repeating: "p", count: 3000)), status: 200,
            attempts: 1, bytesIn: 0, bytesOut: 0, totalMs: 0)
        // Invalid UTF-8 (0xFF) and a tab from a client's User-Agent: replaced and escaped, never passed on raw.
        record.userAgent = ByteBuffer(bytes: Array("curl/8\t".utf8) + [0xFF] + Array(String(repeating: "é", count: 600).utf8))
        var buffer = ByteBuffer()
        var second = CopyText.SecondText()
        CopyText.append(record, gatewayID: "gw", to: &buffer, second: &second)
        let fields = String(buffer: buffer).dropLast().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        #expect(fields[9].count == 2048)
        #expect(fields[18].hasPrefix("curl/8\\t\u{FFFD}é"))
        #expect(fields[18].count == 512 + 1)  // 512 characters, the tab written as two
        #expect(String(validatingUTF8: Array(buffer.readableBytesView).map { CChar(bitPattern: $0) } + [0]) != nil)
    }

    @Test func batchesFillUpKeepTheirDaysAndRollUpByMinute() throws {
        var batch = CallLogBatch()
        for index in 0..<10 {
            var record = CallRecord(
                timestamp: 86_400 * 3 - 30 + Double(index * 10), requestID: "r\(index)", method: ByteBuffer(string: "GET"), path: ByteBuffer(string: "/x"),
                status: index < 7 ? 200 : 503, attempts: 1, bytesIn: 0, bytesOut: 100, totalMs: 4)
            record.tenantID = UUID(uuidString: "10000000-0000-0000-0000-00000000000a")
            record.apiID = UUID(uuidString: "20000000-0000-0000-0000-00000000000b")
            batch.append(record, gatewayID: "gw")
        }
        #expect(batch.rows == 10)
        #expect(batch.days == [2, 3])
        let rollups = batch.rollups.columns
        // Day 2's last minute: three 200s; day 3's first minute: four 200s and two 503s; its second: one 503.
        #expect(rollups.requests.sorted() == [1, 2, 3, 4])
        #expect(rollups.applications.allSatisfy { $0 == CallRollups.noApplication })
        #expect(rollups.tenants.allSatisfy { $0.uuidString == "10000000-0000-0000-0000-00000000000A" })
        #expect(String(buffer: batch.text).hasPrefix("1970-01-03 23:59:30.000000+00\tr0\t10000000-0000-0000-0000-00000000000a\t20000000-0000-0000-0000-00000000000b\t\\N\t"))

        var merged = batch
        merged.merge(batch)
        #expect(merged.rows == 20)
        #expect(merged.rollups.columns.requests.sorted() == [2, 4, 6, 8])
        #expect(merged.text.readableBytes == 2 * batch.text.readableBytes)

        // Through a spool file and back: the same rows and rollups.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = SpoolDirectory(path: directory, gatewayID: "gw")
        try spool.append(merged)
        let files = spool.files()
        #expect(files.count == 1)
        let read = try spool.read(files[0])
        #expect(read.count == 1)
        #expect(read[0].rows == 20)
        #expect(read[0].days == [2, 3])
        #expect(read[0].text == merged.text)
        #expect(read[0].rollups.columns.requests.sorted() == [2, 4, 6, 8])
    }

    @Test func spoolFilesOfEarlierVersionsAreStillReplayed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = SpoolDirectory(path: directory, gatewayID: "gw")
        let line = #"{"timestamp":60,"requestID":"old","tenantID":"10000000-0000-0000-0000-00000000000a","apiID":"20000000-0000-0000-0000-00000000000b","method":"GET","path":"/old","status":200,"attempts":1,"bytesIn":0,"bytesOut":5,"totalMs":2,"userAgent":"ua"}"#
        try Data((line + "\n" + line + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/00000000000000000001-00000000.jsonl"))
        try Data("not json\n".utf8).write(to: URL(fileURLWithPath: directory + "/00000000000000000002-00000000.batch"))
        let files = spool.files()
        #expect(files.count == 2)
        let batches = try spool.read(files[0])
        #expect(batches.map(\.rows) == [2])
        #expect(String(buffer: batches[0].text).contains("\told\t10000000-0000-0000-0000-00000000000a\t20000000-0000-0000-0000-00000000000b\t"))
        #expect(batches[0].rollups.columns.requests == [2])
        #expect(throws: SpoolDirectory.Unreadable.self) { try spool.read(files[1]) }
        spool.setAside(files[1])
        #expect(spool.files() == [files[0]])
    }

    @Test func batchFilesOfThePreviousVersionWithTextIdsInTheirRollupsAreReplayed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let spool = SpoolDirectory(path: directory, gatewayID: "gw")
        // As session 10's gateway wrote them: rollup ids as lower-case text.
        let histogram = (0...CallRollups.bounds.count).map { $0 == 2 ? "1" : "0" }.joined(separator: ",")
        let header = #"{"id":"5B0E7C8A-1F1E-4F63-9C55-2D7B0A1C9E01","rows":1,"days":[0],"rollups":{"rows":[{"key":{"minute":1,"tenant":"10000000-0000-0000-0000-00000000000a","api":"20000000-0000-0000-0000-00000000000b","application":"00000000-0000-0000-0000-000000000000","status":200},"value":{"requests":1,"totalMs":2.5,"bytesOut":5,"histogram":["#
            + histogram + "]}}]}}"
        let row = "1970-01-01 00:01:00.000000+00\tr\t10000000-0000-0000-0000-00000000000a\n"
        try Data((header + "\n" + row).utf8).write(to: URL(fileURLWithPath: directory + "/00000000000000000003-00000000.batch"))
        let batches = try spool.read(spool.files()[0])
        #expect(batches.count == 1)
        #expect(batches[0].id == UUID(uuidString: "5b0e7c8a-1f1e-4f63-9c55-2d7b0a1c9e01"))
        #expect(String(buffer: batches[0].text) == row)
        let rollups = batches[0].rollups.columns
        #expect(rollups.tenants == [UUID(uuidString: "10000000-0000-0000-0000-00000000000A")!])
        #expect(rollups.apis == [UUID(uuidString: "20000000-0000-0000-0000-00000000000B")!])
        #expect(rollups.applications == [CallRollups.noApplication])
        #expect(rollups.requests == [1])
    }

    @Test func decimalsAndUUIDsAreWrittenWithoutStrings() {
        var buffer = ByteBuffer()
        for value: Int64 in [0, 7, 42, -5, 1_000_000, Int64.max, Int64.min] {
            buffer.clear()
            buffer.writeRaw(maximumBytes: 21) { $0.decimal(value) }
            #expect(String(buffer: buffer) == String(value))
        }
        buffer.clear()
        buffer.writeRaw(maximumBytes: 21) { $0.decimal(5, minimumWidth: 3) }
        #expect(String(buffer: buffer) == "005")
        // Every digit count and padding, against Swift's own formatting.
        var random = FastRandom()
        var values: [Int64] = [9, 10, 11, 99, 100, 101, 999, 1_000, 1_001, 999_999, 1_000_000_000_000_000_000, Int64.max - 1]
        for _ in 0..<2_000 { values.append(Int64(bitPattern: random.next()) >> Int64(random.next() % 63)) }
        for value in values {
            for width in [1, 2, 3, 6, 20] {
                buffer.clear()
                buffer.writeRaw(maximumBytes: 21) { $0.decimal(value, minimumWidth: width) }
                let digits = String(value.magnitude)
                let expected = (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
                #expect(String(buffer: buffer) == expected)
            }
        }
        // Fixed widths (timestamps): every value of each width, against padded decimals.
        for count in [2, 3, 4] {
            var limit: Int64 = 1
            for _ in 0..<count { limit *= 10 }
            for value in 0..<limit {
                buffer.clear()
                buffer.writeRaw(maximumBytes: count) { $0.fixedDigits(value, count: count) }
                #expect(String(buffer: buffer) == String(repeating: "0", count: count - String(value).count) + String(value))
            }
        }
        for value: Int64 in [0, 1, 999_999, 123_456, 100_000, 5] {
            buffer.clear()
            buffer.writeRaw(maximumBytes: 6) { $0.fixedDigits(value, count: 6) }
            #expect(String(buffer: buffer) == String(repeating: "0", count: 6 - String(value).count) + String(value))
        }
        #expect(CopyText.timestamp(1_795_748_399.999999) == "2026-11-27 02:59:59.999999+00")
        // Rows of one batch share the text of their second: each row is as if written alone, whether
        // its second repeats, moves on, goes back, or has a year too long to keep.
        var second = CopyText.SecondText()
        let times: [Double] = [1_795_748_399.25, 1_795_748_399.999999, 1_795_748_400, 1_795_748_400.5, 1_795_661_999.75, 1_795_748_400.000001,
                               253_402_300_800.5, 253_402_300_800.75, 0.5, 1_795_748_400.1]
        for time in times {
            buffer.clear()
            buffer.writeRaw(maximumBytes: 64) { $0.timestamp(time, second: &second) }
            #expect(String(buffer: buffer) == CopyText.timestamp(time))
        }
        // Hex words (request ids, trace ids), eight digits at a time, against a digit-by-digit reference.
        let digits = Array("0123456789abcdef".utf8)
        var words: [UInt64] = [0, 1, 9, 10, 15, 16, 0xFFFF_FFFF, 0x1_0000_0000, .max, 0x0123_4567_89AB_CDEF, 0xA9A9_9A9A_F0F0_0F0F]
        for _ in 0..<5_000 { words.append(random.next()) }
        for word in words {
            buffer.clear()
            buffer.writeRaw(maximumBytes: 16) { $0.hex(word) }
            var expected: [UInt8] = []
            var rest = word
            for _ in 0..<16 {
                expected.append(digits[Int(rest & 0xF)])
                rest >>= 4
            }
            #expect(Array(buffer.readableBytesView) == expected)
        }
        // UUIDs, eight digits at a time too: the digits' edges (9/a, 0/f in either nibble) and random ones.
        var uuids = ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "09a0f90a-9a0f-a9f0-0a9f-fa09af90a9f0",
                     "0123abcd-4567-89ef-fedc-ba9876543210"].map { UUID(uuidString: $0)! }
        for _ in 0..<1_000 { uuids.append(UUID()) }
        for uuid in uuids {
            buffer.clear()
            buffer.writeRaw(maximumBytes: 36) { $0.uuid(uuid) }
            #expect(String(buffer: buffer) == uuid.uuidString.lowercased())
        }
    }

    @Test func shardsSealFullBatchesDropBeyondCapacityAndDrainEveryShard() {
        let logs = CallLogBuffer(capacity: CallLogBatch.targetRows + 10, gatewayID: "gw")
        let first = logs.makeShard()
        let second = logs.makeShard()
        func record(_ index: Int) -> CallRecord {
            CallRecord(
                timestamp: 1_000, requestID: "r\(index)", method: ByteBuffer(string: "GET"), path: ByteBuffer(string: "/p"), status: 200, attempts: 1,
                bytesIn: 0, bytesOut: 0, totalMs: 1)
        }
        for index in 0..<(CallLogBatch.targetRows + 20) { first.append(record(index)) }
        for index in 0..<3 { second.append(record(index)) }
        // The first shard holds one sealed batch and a current one of 10; 10 more were dropped and counted.
        #expect(logs.dropped.load(ordering: .relaxed) == 10)
        #expect(logs.count == CallLogBatch.targetRows + 13)
        var drained: [Int] = []
        while let batch = logs.drain() { drained.append(batch.rows) }
        // A full batch ends a merge early; the rest comes out next, and nothing twice.
        #expect(drained.reduce(0, +) == CallLogBatch.targetRows + 13)
        #expect(drained.allSatisfy { $0 < 2 * CallLogBatch.targetRows })
        #expect(drained.last! < CallLogBatch.targetRows)
        #expect(logs.count == 0)
        first.append(record(0))
        #expect(logs.count == 1)
    }

    @Test func truncatedSpoolFilesAreRefusedNotReplayed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = SpoolDirectory(path: directory, gatewayID: "gw")
        var batch = CallLogBatch()
        for index in 0..<3 {
            batch.append(
                CallRecord(
                    timestamp: 1_000, requestID: "r\(index)", method: ByteBuffer(string: "GET"), path: ByteBuffer(string: "/p"), status: 200,
                    attempts: 1, bytesIn: 0, bytesOut: 0, totalMs: 1), gatewayID: "gw")
        }
        try spool.append(batch)
        let file = directory + "/" + spool.files()[0]
        let whole = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(try spool.read(spool.files()[0])[0].rows == 3)
        // Cut in the middle of the last row, then exactly after the second row: both refused.
        for cut in [whole.count - 5, whole.count - (whole.count - whole.dropLast().lastIndex(of: 0x0A)! - 1)] {
            try whole.prefix(cut).write(to: URL(fileURLWithPath: file))
            #expect(throws: SpoolDirectory.Unreadable.self) { try spool.read(spool.files()[0]) }
        }
    }

    @Test func responseContentLengthsAreCheckedUnlessChunkedFramesTheBody() throws {
        func parse(_ text: String) throws(ResponseHeadParser.Failure) -> ResponseHead? {
            if case .head(let head, _) = try ResponseHeadParser.parse(ByteBuffer(string: text)) { return head }
            return nil
        }
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n")?.contentLength == 5)
        #expect(throws: ResponseHeadParser.Failure.self) { try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") }
        #expect(throws: ResponseHeadParser.Failure.self) { try parse("HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n") }
        #expect(throws: ResponseHeadParser.Failure.self) { try parse("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n") }
        let chunked = try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n")
        #expect(chunked?.chunked == true)
        #expect(chunked?.contentLength == nil)
        #expect(chunked?.forwardedLines.count == 1)  // only Transfer-Encoding goes on
        #expect(try parse("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")?.connectionClose == true)
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n") == nil)  // incomplete
    }

    @Test func generatedTraceparentsAreValid() {
        var random = FastRandom()
        for _ in 0..<1000 {
            var buffer = ByteBuffer()
            buffer.writeRaw(maximumBytes: 55) { $0.traceparent(Traceparent(random: &random)) }
            #expect(Exchange.isValidTraceparent(String(buffer: buffer)), "\(String(buffer: buffer))")
            let id = RequestID(random: &random)
            #expect(id.description.count == 32 && id.description.allSatisfy(\.isHexDigit) && Exchange.isValidRequestID(id.description))
        }
    }

    /// The eight-bytes-at-a-time check against a byte-by-byte one, at every length and position.
    @Test func wordWiseEscapeCheckMatchesByteWise() {
        var random = FastRandom()
        let interesting: [UInt8] = [0x00, 0x09, 0x0A, 0x1F, 0x20, 0x21, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xC3, 0xFF]
        for length in 0..<40 {
            for _ in 0..<200 {
                var bytes = (0..<length).map { _ in UInt8(0x41 + random.next() % 26) }
                for _ in 0..<Int(random.next() % 3) where length > 0 {
                    bytes[Int(random.next() % UInt64(length))] = interesting[Int(random.next() % UInt64(interesting.count))]
                }
                bytes.withUnsafeBytes { raw in
                    #expect(RawByteWriter.needsEscaping(raw) == raw.contains { $0 == 0x5C || $0 < 0x20 }, "\(bytes)")
                    #expect(RawByteWriter.needsEscaping(raw, orNonASCII: true) == raw.contains { $0 == 0x5C || $0 < 0x20 || $0 >= 0x7F }, "\(bytes)")
                }
            }
        }
    }
}
