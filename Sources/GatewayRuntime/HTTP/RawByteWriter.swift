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

    /// What was written from offset `start` on (valid only inside the `writeRaw` body: the buffer
    /// may move after it).
    func written(since start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + start, count: position - start)
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

    /// The lower-case canonical text of a UUID (`8-4-4-4-12`): eight digits per step (see
    /// `hexDigits`), one bounds check for all 36 bytes. A call-log row holds five UUIDs.
    mutating func uuid(_ uuid: UUID) {
        precondition(position + 36 <= capacity, "RawByteWriter: reserved space exceeded")
        let dash = UInt8(ascii: "-")
        let at = base + position
        withUnsafeBytes(of: uuid.uuid) { raw in
            func digits(_ offset: Int) -> UInt64 {
                Self.hexDigits(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)), highNibbleFirst: true)
            }
            at.storeBytes(of: digits(0).littleEndian, as: UInt64.self)  // bytes 0-3
            at.storeBytes(of: dash, toByteOffset: 8, as: UInt8.self)
            let middle = digits(4)  // bytes 4-5, then 6-7
            at.storeBytes(of: UInt32(truncatingIfNeeded: middle).littleEndian, toByteOffset: 9, as: UInt32.self)
            at.storeBytes(of: dash, toByteOffset: 13, as: UInt8.self)
            at.storeBytes(of: UInt32(truncatingIfNeeded: middle >> 32).littleEndian, toByteOffset: 14, as: UInt32.self)
            at.storeBytes(of: dash, toByteOffset: 18, as: UInt8.self)
            let fourth = digits(8)  // bytes 8-9, then 10-11 (the start of the last group)
            at.storeBytes(of: UInt32(truncatingIfNeeded: fourth).littleEndian, toByteOffset: 19, as: UInt32.self)
            at.storeBytes(of: dash, toByteOffset: 23, as: UInt8.self)
            at.storeBytes(of: UInt32(truncatingIfNeeded: fourth >> 32).littleEndian, toByteOffset: 24, as: UInt32.self)
            at.storeBytes(of: digits(12).littleEndian, toByteOffset: 28, as: UInt64.self)  // bytes 12-15
        }
        position += 36
    }

    /// The 16 hex digits of `word`, lowest nibble first (the text of generated request and trace ids).
    @inline(__always)
    mutating func hex(_ word: UInt64) {
        precondition(position + 16 <= capacity, "RawByteWriter: reserved space exceeded")
        let low = Self.hexDigits(UInt32(truncatingIfNeeded: word), highNibbleFirst: false)
        let high = Self.hexDigits(UInt32(truncatingIfNeeded: word >> 32), highNibbleFirst: false)
        base.storeBytes(of: low.littleEndian, toByteOffset: position, as: UInt64.self)
        base.storeBytes(of: high.littleEndian, toByteOffset: position + 8, as: UInt64.self)
        position += 16
    }

    /// The eight lower-case hex digits of four bytes, computed in one 64-bit word (SWAR): byte i
    /// (from the lowest) becomes digits 2i and 2i+1, so stored little-endian the text is in byte
    /// order. A table of digit pairs did one load and one two-byte store per byte, and ids are
    /// most of a call-log row.
    @inline(__always)
    private static func hexDigits(_ bytes: UInt32, highNibbleFirst: Bool) -> UInt64 {
        // Each byte into its own 16-bit lane.
        var lanes = UInt64(bytes)
        lanes = (lanes | lanes << 16) & 0x0000_FFFF_0000_FFFF
        lanes = (lanes | lanes << 8) & 0x00FF_00FF_00FF_00FF
        // Each nibble into its own byte, in the order the digits are written.
        let mask: UInt64 = 0x000F_000F_000F_000F
        let high = lanes >> 4 & mask
        let low = lanes & mask
        let nibbles = highNibbleFirst ? high | low << 8 : low | high << 8
        // '0' + n, plus 'a' - '9' - 1 where n > 9 (n + 6 carries into bit 4 exactly then).
        let letters = (nibbles &+ 0x0606_0606_0606_0606) >> 4 & 0x0101_0101_0101_0101
        return nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
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
