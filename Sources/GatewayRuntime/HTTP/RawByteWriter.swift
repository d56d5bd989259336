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

    /// The lower-case canonical text of a UUID (`8-4-4-4-12`).
    mutating func uuid(_ uuid: UUID) {
        let hex: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: uuid.uuid) { raw in
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 { byte(UInt8(ascii: "-")) }
                byte(hex.utf8Start[Int(raw[index] >> 4)])
                byte(hex.utf8Start[Int(raw[index] & 0x0F)])
            }
        }
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
