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
}
