import Foundation
import NIOCore
import Testing

@testable import GatewayRuntime

@Suite struct CopyTextTests {
    @Test func rowsAreEscapedAndFormattedForCopy() {
        var record = CallRecord(
            timestamp: 1_767_225_600.25, requestID: "r1", method: "GET", path: "/a\tb\\c\nd", status: 200, attempts: 1, bytesIn: 10, bytesOut: 2000,
            totalMs: 1.23456, clientIP: "127.0.0.1")
        record.subscriptionID = UUID(uuidString: "00000000-0000-0000-0000-000000000001")
        var buffer = ByteBuffer()
        CopyText.append(record, gatewayID: "gw", to: &buffer)
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

    @Test func decimalsAndUUIDsAreWrittenWithoutStrings() {
        var buffer = ByteBuffer()
        for value: Int64 in [0, 7, 42, -5, 1_000_000, Int64.max, Int64.min] {
            buffer.clear()
            buffer.writeDecimal(value)
            #expect(String(buffer: buffer) == String(value))
        }
        buffer.clear()
        buffer.writeDecimal(5, minimumWidth: 3)
        #expect(String(buffer: buffer) == "005")
        let uuid = UUID()
        buffer.clear()
        buffer.writeUUID(uuid)
        #expect(String(buffer: buffer) == uuid.uuidString.lowercased())
    }

    @Test func generatedTraceparentsAreValid() {
        var random = FastRandom()
        for _ in 0..<1000 {
            let value = random.traceparent()
            #expect(Exchange.isValidTraceparent(value), "\(value)")
        }
    }
}
