import NIOCore
import NIOConcurrencyHelpers
import Domain
import Atomics
/// A token bucket as a pure value: `capacity` tokens, refilled continuously at
/// `capacity / window` per second. Time is passed in (nanoseconds) so tests drive it.
struct TokenBucket: Equatable {
    let capacity: Int64
    let windowNanos: UInt64
    /// Tokens in millionths, so refill of a per-minute limit does not lose precision.
    private var microTokens: Int64
    private var lastRefill: UInt64

    init(capacity: Int64, windowNanos: UInt64, now: UInt64) {
        self.capacity = capacity
        self.windowNanos = windowNanos
        self.microTokens = capacity * 1_000_000
        self.lastRefill = now
    }

    private var refillMicroTokensPerNano: Double { Double(capacity) * 1_000_000 / Double(windowNanos) }

    mutating func refill(now: UInt64) {
        guard now > lastRefill else { return }
        let added = Int64(Double(now - lastRefill) * refillMicroTokensPerNano)
        if added > 0 {
            microTokens = min(capacity * 1_000_000, microTokens + added)
            lastRefill = now
        }
    }

    var hasToken: Bool { microTokens >= 1_000_000 }

    mutating func take() { microTokens -= 1_000_000 }
    mutating func giveBack() { microTokens = min(capacity * 1_000_000, microTokens + 1_000_000) }

    var remaining: Int64 { microTokens / 1_000_000 }

    /// Seconds until the next token (for `Retry-After` when empty).
    var secondsUntilNextToken: Int {
        let missing = 1_000_000 - microTokens % 1_000_000
        return max(1, Int((Double(missing) / refillMicroTokensPerNano / 1e9).rounded(.up)))
    }

    /// Seconds until the bucket is full again (`RateLimit-Reset`).
    var secondsUntilFull: Int {
        let missing = capacity * 1_000_000 - microTokens
        return missing <= 0 ? 0 : max(1, Int((Double(missing) / refillMicroTokensPerNano / 1e9).rounded(.up)))
    }

    /// Replaces the capacity (plan changed), keeping the fill ratio.
    func resized(capacity newCapacity: Int64, windowNanos newWindow: UInt64, now: UInt64) -> TokenBucket {
        var bucket = TokenBucket(capacity: newCapacity, windowNanos: newWindow, now: now)
        bucket.microTokens = capacity == 0 ? 0 : min(newCapacity * 1_000_000, microTokens * newCapacity / capacity)
        return bucket
    }
}
