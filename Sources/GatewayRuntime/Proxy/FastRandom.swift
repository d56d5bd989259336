/// xoshiro256** seeded once from the system generator: request ids, trace ids and fault
/// injection draws without a `getrandom` system call per request. Not for secrets.
struct FastRandom: RandomNumberGenerator {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        (s0, s1, s2, s3) = (system.next(), system.next(), system.next(), system.next() | 1)
    }

    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A percentage draw in [0, 100).
    mutating func percent() -> Double { Double(next() >> 11) * (100.0 / 9_007_199_254_740_992.0) }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `count` random hex characters.
    mutating func hex(_ count: Int) -> String {
        String(unsafeUninitializedCapacity: count) { buffer in
            var position = 0
            while position < count {
                position = Self.writeHex(next(), nibbles: min(16, count - position), into: buffer, at: position)
            }
            return count
        }
    }

    /// A new W3C `traceparent` (version 00, random trace and parent ids, sampled) in one allocation.
    mutating func traceparent() -> String {
        String(unsafeUninitializedCapacity: 55) { buffer in
            buffer[0] = 0x30
            buffer[1] = 0x30
            buffer[2] = 0x2D
            // Trace id: two words; parent id: one word. `| 1` keeps each id from being all zeros.
            var position = Self.writeHex(next() | 1, nibbles: 16, into: buffer, at: 3)
            position = Self.writeHex(next() | 1, nibbles: 16, into: buffer, at: position)
            buffer[position] = 0x2D
            position = Self.writeHex(next() | 1, nibbles: 16, into: buffer, at: position + 1)
            buffer[position] = 0x2D
            buffer[position + 1] = 0x30
            buffer[position + 2] = 0x31
            return 55
        }
    }

    /// Writes the low `nibbles` nibbles of `word` as hex digits; returns the position after them.
    private static func writeHex(_ word: UInt64, nibbles: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var value = word
        for offset in 0..<nibbles {
            buffer[start + offset] = Self.hexDigits[Int(value & 0xF)]
            value >>= 4
        }
        return start + nibbles
    }
}
