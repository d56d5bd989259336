import NIOCore
import struct Foundation.UUID

/// Appends bytes at a pointer, into space reserved once with `ByteBuffer.writeRaw`.
///
/// The request path builds heads and log rows from many small pieces. Each `ByteBuffer` write
/// checks uniqueness, capacity and exclusivity and updates indices; per piece that added up to
/// several percent of the gateway's time. Writing through a pointer pays those once per buffer.
struct RawByteWriter {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    private(set) var position = 0

    fileprivate init(_ space: UnsafeMutableRawBufferPointer) {
        base = space.baseAddress!
        capacity = space.count
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        precondition(position < capacity, "RawByteWriter: reserved space exceeded")
        base.storeBytes(of: value, toByteOffset: position, as: UInt8.self)
        position += 1
    }

    @inline(__always)
    mutating func bytes(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(position + bytes.count <= capacity, "RawByteWriter: reserved space exceeded")
        (base + position).copyMemory(from: start, byteCount: bytes.count)
        position += bytes.count
    }

    mutating func bytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.bytes($0) }
    }

    mutating func string(_ value: String) {
        if value.utf8.withContiguousStorageIfAvailable({ bytes(UnsafeRawBufferPointer($0)) }) == nil {
            bytes(Array(value.utf8))
        }
    }

    mutating func staticString(_ value: StaticString) {
        bytes(UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    }

    /// `value` in decimal, left-padded with zeros to `minimumWidth` (at most 20).
    mutating func decimal(_ value: Int64, minimumWidth: Int = 1) {
        var digits = 0
        var rest = value.magnitude
        repeat {
            digits += 1
            rest /= 10
        } while rest > 0
        if value < 0 { byte(UInt8(ascii: "-")) }
        let width = max(digits, min(minimumWidth, 20))
        precondition(position + width <= capacity, "RawByteWriter: reserved space exceeded")
        var magnitude = value.magnitude
        var index = position + width - 1
        for _ in 0..<width {
            base.storeBytes(of: UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30, toByteOffset: index, as: UInt8.self)
            magnitude /= 10
            index -= 1
        }
        position += width
    }

    /// Exactly `count` decimal digits of `value` (0 ≤ value < 10^count), zero-padded: the fixed
    /// fields of a timestamp, without `decimal`'s digit counting.
    @inline(__always)
    mutating func fixedDigits(_ value: Int64, count: Int) {
        precondition(position + count <= capacity, "RawByteWriter: reserved space exceeded")
        var rest = UInt64(truncatingIfNeeded: value)
        var index = position + count - 1
        while index >= position {
            base.storeBytes(of: UInt8(truncatingIfNeeded: rest % 10) &+ 0x30, toByteOffset: index, as: UInt8.self)
            rest /= 10
            index -= 1
        }
        position += count
    }

    /// The lower-case canonical text of a UUID (`8-4-4-4-12`): two digits per byte from a table,
    /// one bounds check for all 36 bytes. A call-log row holds five UUIDs.
    mutating func uuid(_ uuid: UUID) {
        precondition(position + 36 <= capacity, "RawByteWriter: reserved space exceeded")
        let pairs = HexPairs.highNibbleFirst
        var offset = position
        withUnsafeBytes(of: uuid.uuid) { raw in
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    base.storeBytes(of: UInt8(ascii: "-"), toByteOffset: offset, as: UInt8.self)
                    offset += 1
                }
                base.storeBytes(of: pairs[Int(raw[index])], toByteOffset: offset, as: UInt16.self)
                offset += 2
            }
        }
        position += 36
    }

    /// The 16 hex digits of `word`, lowest nibble first (the text of generated request and trace ids).
    @inline(__always)
    mutating func hexLowNibbleFirst(_ word: UInt64) {
        precondition(position + 16 <= capacity, "RawByteWriter: reserved space exceeded")
        let pairs = HexPairs.lowNibbleFirst
        var value = word
        for offset in stride(from: position, to: position + 16, by: 2) {
            base.storeBytes(of: pairs[Int(value & 0xFF)], toByteOffset: offset, as: UInt16.self)
            value >>= 8
        }
        position += 16
    }
}

/// The two hex digits of every byte value, as the `UInt16` that stores them in order (first digit
/// at the lower address, whatever the byte order; unaligned stores). Allocated once, never freed.
private enum HexPairs {
    // nonisolated(unsafe): written once by the lazy initializer, read-only afterwards.
    nonisolated(unsafe) static let highNibbleFirst = table { digits, value in (digits[value >> 4], digits[value & 0xF]) }
    nonisolated(unsafe) static let lowNibbleFirst = table { digits, value in (digits[value & 0xF], digits[value >> 4]) }

    private static func table(_ pair: ([UInt8], Int) -> (UInt8, UInt8)) -> UnsafePointer<UInt16> {
        let digits = Array("0123456789abcdef".utf8)
        let table = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
        for value in 0..<256 {
            let (first, second) = pair(digits, value)
            table[value] = (UInt16(first) | UInt16(second) << 8).littleEndian  // first digit at the lower address
        }
        return UnsafePointer(table)
    }
}

extension ByteBuffer {
    /// Reserves `maximumBytes` and appends what `body` writes (at most that many; more traps).
    @inline(__always)
    mutating func writeRaw(maximumBytes: Int, _ body: (inout RawByteWriter) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: maximumBytes) { space in
            var writer = RawByteWriter(UnsafeMutableRawBufferPointer(rebasing: space[0..<maximumBytes]))
            body(&writer)
            return writer.position
        }
    }
}
