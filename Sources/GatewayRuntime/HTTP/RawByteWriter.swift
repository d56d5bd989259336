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
        var offset = position
        withUnsafeBytes(of: uuid.uuid) { raw in
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    base.storeBytes(of: UInt8(ascii: "-"), toByteOffset: offset, as: UInt8.self)
                    offset += 1
                }
                base.storeBytes(of: Self.hexPair(raw[index]), toByteOffset: offset, as: UInt16.self)
                offset += 2
            }
        }
        position += 36
    }

    /// The 16 hex digits of `word`, lowest nibble first (the text of generated request and trace ids).
    @inline(__always)
    mutating func hex(_ word: UInt64) {
        precondition(position + 16 <= capacity, "RawByteWriter: reserved space exceeded")
        var value = word
        for offset in stride(from: position, to: position + 16, by: 2) {
            // The byte with its nibbles swapped: its low nibble's digit comes first.
            let byte = UInt8(truncatingIfNeeded: value)
            base.storeBytes(of: Self.hexPair(byte << 4 | byte >> 4), toByteOffset: offset, as: UInt16.self)
            value >>= 8
        }
        position += 16
    }

    /// The two lower-case hex digits of `byte`, as they lie in memory (stored back unaligned, in the
    /// same order on any machine). A literal rather than a computed table: reading a global `let`
    /// calls `swift_once` each time, and computing the digits measured slower than both.
    @inline(__always)
    private static func hexPair(_ byte: UInt8) -> UInt16 {
        let pairs: StaticString = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
        return UnsafeRawPointer(pairs.utf8Start).loadUnaligned(fromByteOffset: 2 * Int(byte), as: UInt16.self)
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
