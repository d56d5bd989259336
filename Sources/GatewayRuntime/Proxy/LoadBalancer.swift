import NIOConcurrencyHelpers
import Atomics
import Domain
import NIOCore

/// Picks a healthy target for each attempt. Round-robin and weighted share one atomic counter
/// over a precomputed schedule (smooth weighted round-robin, as nginx does), so the proportions
/// are exact across event loops; least-connections reads in-flight counts; IP-hash walks a
/// consistent-hash ring, so losing one target moves only that target's clients.
final class LoadBalancer: Sendable {
    let algorithm: LoadBalancing
    let targets: [UpstreamTarget]
    private let schedule: [Int]
    private let counter = ManagedAtomic<Int>(0)
    private let ring: [(hash: UInt64, target: Int)]

    init(algorithm: LoadBalancing, targets: [UpstreamTarget], weights: [Int]) {
        self.algorithm = algorithm
        self.targets = targets
        self.schedule = algorithm == .weighted ? Self.smoothSchedule(weights) : Array(targets.indices)
        var ring: [(UInt64, Int)] = []
        if algorithm == .ipHash {
            for (index, target) in targets.enumerated() where weights[index] > 0 {
                let points = max(1, min(400, 160 * weights[index] / max(1, weights.max() ?? 1)))
                for point in 0..<points { ring.append((Self.hash("\(target.key)#\(point)".utf8), index)) }
            }
            ring.sort { $0.0 < $1.0 }
        }
        self.ring = ring
    }

    /// The next target, skipping unhealthy ones and those in `excluded` (already tried); nil
    /// when none is left.
    func pick(clientIP: ArraySlice<UInt8>?, excluded: TargetSet, now: UInt64) -> Int? {
        switch algorithm {
        case .roundRobin, .weighted:
            guard !schedule.isEmpty else { return nil }
            let start = counter.loadThenWrappingIncrement(ordering: .relaxed)
            for offset in 0..<schedule.count {
                let index = schedule[(start &+ offset) % schedule.count]
                if usable(index, excluded, now) { return index }
            }
            return nil
        case .leastConnections:
            var best: Int?
            var bestLoad = Int.max
            let start = counter.loadThenWrappingIncrement(ordering: .relaxed)
            for offset in 0..<targets.count {
                let index = (start &+ offset) % targets.count
                guard usable(index, excluded, now) else { continue }
                let load = targets[index].inFlight.load(ordering: .relaxed)
                if load < bestLoad { best = index; bestLoad = load }
            }
            return best
        case .ipHash:
            guard !ring.isEmpty else { return nil }
            let key = clientIP.map { Self.hash($0) } ?? 0
            var low = 0
            var high = ring.count
            while low < high {
                let mid = (low + high) / 2
                if ring[mid].hash < key { low = mid + 1 } else { high = mid }
            }
            for offset in 0..<ring.count {
                let index = ring[(low + offset) % ring.count].target
                if usable(index, excluded, now) { return index }
            }
            return nil
        }
    }

    @inline(__always)
    private func usable(_ index: Int, _ excluded: TargetSet, _ now: UInt64) -> Bool {
        targets[index].isHealthy(now: now) && !excluded.contains(index)
    }

    /// Smooth weighted round-robin (nginx): each step adds every weight to its running total,
    /// picks the largest and subtracts the sum, which interleaves targets evenly.
    static func smoothSchedule(_ weights: [Int]) -> [Int] {
        let divisor = weights.filter { $0 > 0 }.reduce(0) { gcd($0, $1) }
        guard divisor > 0 else { return [] }
        let reduced = weights.map { $0 / divisor }
        var total = reduced.reduce(0, +)
        // Keep the schedule bounded for extreme weights; proportions stay within 1/1000.
        var scaled = reduced
        if total > 1000 {
            scaled = reduced.map { $0 == 0 ? 0 : max(1, $0 * 1000 / total) }
            total = scaled.reduce(0, +)
        }
        var current = Array(repeating: 0, count: scaled.count)
        var schedule: [Int] = []
        schedule.reserveCapacity(total)
        for _ in 0..<total {
            var best = -1
            for index in scaled.indices where scaled[index] > 0 {
                current[index] += scaled[index]
                if best < 0 || current[index] > current[best] { best = index }
            }
            current[best] -= total
            schedule.append(best)
        }
        return schedule
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// FNV-1a, 64 bit.
    static func hash<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        // Finalise (murmur3 fmix) so nearby keys spread over the ring.
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return hash
    }
}
