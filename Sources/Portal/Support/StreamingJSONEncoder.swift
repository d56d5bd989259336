import Foundation
import Hummingbird
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Encodes responses straight into bytes while the `Encodable` walks its properties.
///
/// Foundation's `JSONEncoder` first builds a tree of boxed values and then serialises it; on the
/// catalog that was a third of the portal's CPU. This encoder writes each value as it arrives,
/// which is valid for anything that encodes its containers one after another (all synthesised
/// conformances and every hand-written one in Portico): when a value is written at some depth,
/// the containers opened deeper are complete and get closed. Output matches `JSONEncoder` with
/// `.iso8601` dates: `nil` from `encodeIfPresent` is left out, whole doubles print without `.0`,
/// non-finite numbers are an error.
struct StreamingJSONEncoder: ResponseEncoder {
    func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let buffer = try Self.encode(value)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer))
    }

    static func encode(_ value: some Encodable) throws -> ByteBuffer {
        let writer = JSONStreamWriter()
        try writer.encodeValue(value, depth: 0, codingPath: [])
        writer.close(downTo: 0)
        return writer.buffer
    }
}

/// The output and the stack of open containers.
final class JSONStreamWriter {
    enum Container { case object, array }

    var buffer = ByteBuffer()
    /// Open containers, outermost first, and how many members each has so far.
    private var open: [(kind: Container, count: Int)] = []

    init() {
        buffer.reserveCapacity(4096)
    }

    /// Closes every container deeper than `depth` (their encoders have finished with them).
    func close(downTo depth: Int) {
        while open.count > depth {
            buffer.writeInteger(open.removeLast().kind == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Starts a member of the container at `depth - 1` (or the top-level value at depth 0).
    func beginMember(depth: Int, key: String?) {
        close(downTo: depth)
        guard depth > 0 else { return }
        if open[depth - 1].count > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
        open[depth - 1].count += 1
        if let key {
            writeString(key)
            buffer.writeInteger(UInt8(ascii: ":"))
        }
    }

    func openContainer(_ kind: Container) {
        buffer.writeInteger(kind == .object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        open.append((kind, 0))
    }

    /// Writes one value in a slot already begun (key and comma written).
    func encodeValue<T: Encodable>(_ value: T, depth: Int, codingPath: [any CodingKey]) throws {
        switch value {
        case let string as String: writeString(string)
        case let date as Date: writeDate(date)
        case let uuid as UUID: writeUUID(uuid)
        case let url as URL: writeString(url.absoluteString)
        case let data as Data: writeString(data.base64EncodedString())
        case let decimal as Decimal: buffer.writeString(decimal.description)
        default:
            let start = buffer.writerIndex
            try value.encode(to: JSONStreamEncoder(writer: self, depth: depth, codingPath: codingPath))
            close(downTo: depth)
            // Like JSONEncoder, a value that encodes nothing is an empty object.
            if buffer.writerIndex == start { buffer.writeStaticString("{}") }
        }
    }

    func writeString(_ string: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index { buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex[Int(byte >> 4)])
                    buffer.writeInteger(hex[Int(byte & 0x0F)])
                }
                runStart = index + 1
            }
            if runStart < bytes.count { buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// `2026-11-26T19:18:52Z`, as `JSONEncoder.DateEncodingStrategy.iso8601` writes it (whole seconds, UTC).
    func writeDate(_ date: Date) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        buffer.writeInteger(UInt8(ascii: "\""))
        writeDigits(Int(parts.tm_year) + 1900, 4)
        buffer.writeInteger(UInt8(ascii: "-"))
        writeDigits(Int(parts.tm_mon) + 1, 2)
        buffer.writeInteger(UInt8(ascii: "-"))
        writeDigits(Int(parts.tm_mday), 2)
        buffer.writeInteger(UInt8(ascii: "T"))
        writeDigits(Int(parts.tm_hour), 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        writeDigits(Int(parts.tm_min), 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        writeDigits(Int(parts.tm_sec), 2)
        buffer.writeStaticString("Z\"")
    }

    private func writeDigits(_ value: Int, _ width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var value = value
        while divisor > 0 {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            value %= divisor
            divisor /= 10
        }
    }

    func writeUUID(_ uuid: UUID) {
        let hex: StaticString = "0123456789ABCDEF"
        let bytes = uuid.uuid
        buffer.writeInteger(UInt8(ascii: "\""))
        withUnsafeBytes(of: bytes) { raw in
            hex.withUTF8Buffer { digits in
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 { buffer.writeInteger(UInt8(ascii: "-")) }
                    buffer.writeInteger(digits[Int(raw[index] >> 4)])
                    buffer.writeInteger(digits[Int(raw[index] & 0x0F)])
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    func writeInteger<T: BinaryInteger>(_ value: T) {
        buffer.writeString(String(value))
    }

    func writeDouble(_ value: Double, codingPath: [any CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        buffer.writeString(text)
    }

    func writeBool(_ value: Bool) {
        if value { buffer.writeStaticString("true") } else { buffer.writeStaticString("false") }
    }

    func writeNull() {
        buffer.writeStaticString("null")
    }
}

/// The `Encoder` handed to a value whose slot starts at `depth` in the writer.
struct JSONStreamEncoder: Encoder {
    let writer: JSONStreamWriter
    let depth: Int
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        writer.close(downTo: depth)
        writer.openContainer(.object)
        return KeyedEncodingContainer(JSONStreamKeyedContainer<Key>(writer: writer, depth: depth + 1, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        writer.close(downTo: depth)
        writer.openContainer(.array)
        return JSONStreamUnkeyedContainer(writer: writer, depth: depth + 1, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONStreamSingleValueContainer(writer: writer, depth: depth, codingPath: codingPath)
    }
}

struct JSONStreamKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONStreamWriter
    /// The depth of this container's members.
    let depth: Int
    var codingPath: [any CodingKey]

    private func begin(_ key: Key) { writer.beginMember(depth: depth, key: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { begin(key); writer.writeNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { begin(key); writer.writeBool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { begin(key); writer.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { begin(key); try writer.writeDouble(value, codingPath: codingPath + [key]) }
    mutating func encode(_ value: Float, forKey key: Key) throws { begin(key); try writer.writeDouble(Double(value), codingPath: codingPath + [key]) }
    mutating func encode(_ value: Int, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        begin(key)
        try writer.encodeValue(value, depth: depth, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        begin(key)
        writer.openContainer(.object)
        return KeyedEncodingContainer(JSONStreamKeyedContainer<NestedKey>(writer: writer, depth: depth + 1, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        begin(key)
        writer.openContainer(.array)
        return JSONStreamUnkeyedContainer(writer: writer, depth: depth + 1, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        writer.beginMember(depth: depth, key: "super")
        return JSONStreamEncoder(writer: writer, depth: depth, codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        begin(key)
        return JSONStreamEncoder(writer: writer, depth: depth, codingPath: codingPath + [key])
    }
}

struct JSONStreamUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONStreamWriter
    let depth: Int
    var codingPath: [any CodingKey]
    private(set) var count = 0

    init(writer: JSONStreamWriter, depth: Int, codingPath: [any CodingKey]) {
        self.writer = writer
        self.depth = depth
        self.codingPath = codingPath
    }

    private mutating func begin() {
        writer.beginMember(depth: depth, key: nil)
        count += 1
    }

    mutating func encodeNil() throws { begin(); writer.writeNull() }
    mutating func encode(_ value: Bool) throws { begin(); writer.writeBool(value) }
    mutating func encode(_ value: String) throws { begin(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws { begin(); try writer.writeDouble(value, codingPath: codingPath) }
    mutating func encode(_ value: Float) throws { begin(); try writer.writeDouble(Double(value), codingPath: codingPath) }
    mutating func encode(_ value: Int) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { begin(); writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        begin()
        try writer.encodeValue(value, depth: depth, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        begin()
        writer.openContainer(.object)
        return KeyedEncodingContainer(JSONStreamKeyedContainer<NestedKey>(writer: writer, depth: depth + 1, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        begin()
        writer.openContainer(.array)
        return JSONStreamUnkeyedContainer(writer: writer, depth: depth + 1, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        begin()
        return JSONStreamEncoder(writer: writer, depth: depth, codingPath: codingPath)
    }
}

/// A single value fills the slot its encoder was given; the slot's key and comma are already written.
struct JSONStreamSingleValueContainer: SingleValueEncodingContainer {
    let writer: JSONStreamWriter
    let depth: Int
    var codingPath: [any CodingKey]

    private func begin() { writer.close(downTo: depth) }

    mutating func encodeNil() throws { begin(); writer.writeNull() }
    mutating func encode(_ value: Bool) throws { begin(); writer.writeBool(value) }
    mutating func encode(_ value: String) throws { begin(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws { begin(); try writer.writeDouble(value, codingPath: codingPath) }
    mutating func encode(_ value: Float) throws { begin(); try writer.writeDouble(Double(value), codingPath: codingPath) }
    mutating func encode(_ value: Int) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { begin(); writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        begin()
        try writer.encodeValue(value, depth: depth, codingPath: codingPath)
    }
}
