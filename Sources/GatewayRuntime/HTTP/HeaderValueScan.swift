/// Finds where a header value's run of ordinary bytes ends, eight bytes per step. Both head
/// parsers spent about half their time on a byte-by-byte walk over values (the key, `Host`,
/// `Date`, `Server`…), which are printable ASCII nearly always.
enum HeaderValueScan {
    /// The first offset in `start..<end` that holds a control byte (below 0x20: CR, LF, tab and
    /// the rest) or DEL, or `end` when there is none. Bytes from 0x80 up (obs-text) are ordinary.
    static func firstControlByte(in bytes: UnsafeRawBufferPointer, from start: Int, end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= end {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            // Per byte, the high bit of `(w - c) & ~w` marks a byte below c. A borrow can mark bytes
            // after a true match, never before one, so the lowest mark is exact.
            let del = word ^ (ones &* 0x7F)
            let marks = ((word &- ones &* 0x20) & ~word | (del &- ones) & ~del) & highs
            if marks != 0 { return index + marks.trailingZeroBitCount >> 3 }
            index += 8
        }
        while index < end, bytes[index] >= 0x20, bytes[index] != 0x7F { index += 1 }
        return index
    }
}
