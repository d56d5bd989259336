import NIOConcurrencyHelpers
import Domain
import Atomics
import NIOCore

/// Longest-prefix route lookup on segment boundaries without allocating: one pass over the
/// path computes the FNV hash of every prefix that ends at a `/`; candidates are then checked
/// from the longest down, byte for byte. Routes with a host are tried before host-less ones.
struct RouteTable: Sendable {
    private var byPath: [UInt64: [CompiledRoute]] = [:]
    private(set) var hasHostRoutes = false

    init(routes: [CompiledRoute]) {
        // Live versions win over retired ones that used the same path before.
        let ordered = routes.sorted { ($0.route.state == .retired ? 1 : 0) < ($1.route.state == .retired ? 1 : 0) }
        for route in ordered {
            let key = Self.key(host: route.route.host.map { Array($0.utf8) }, path: route.basePath[...])
            byPath[key, default: []].append(route)
            if route.route.host != nil { hasHostRoutes = true }
        }
    }

    /// The route for `path` (without query) and the request's host (lower-cased, without port).
    func lookup<Path: RandomAccessCollection>(path: Path, host: ArraySlice<UInt8>?) -> CompiledRoute? where Path.Element == UInt8, Path.Index == Int {
        if hasHostRoutes, let host, let route = find(path: path, host: host) { return route }
        return find(path: path, host: nil)
    }

    private func find<Path: RandomAccessCollection>(path: Path, host: ArraySlice<UInt8>?) -> CompiledRoute? where Path.Element == UInt8, Path.Index == Int {
        let seed = host.map { Self.hashBytes($0, seed: Self.offset) ^ 0x9e37_79b9_7f4a_7c15 } ?? Self.offset
        // Hashes of prefixes ending just before each "/" (and of the whole path); at most 32 levels.
        return withUnsafeTemporaryAllocation(of: (UInt64, Int).self, capacity: 33) { boundaries -> CompiledRoute? in
            var count = 0
            var hash = seed
            var index = path.startIndex
            let start = path.startIndex
            while index < path.endIndex {
                let byte = path[index]
                if byte == 0x2F, index > start, count < 32 {
                    boundaries[count] = (hash, index - start)
                    count += 1
                }
                hash = (hash ^ UInt64(byte)) &* Self.prime
                index += 1
            }
            boundaries[count] = (hash, path.count)
            count += 1
            var level = count - 1
            while level >= 0 {
                let (key, length) = boundaries[level]
                if let candidates = byPath[Self.finish(key)] {
                    for route in candidates where route.basePath.count == length && (host == nil) == (route.route.host == nil) {
                        if path.prefix(length).elementsEqual(route.basePath) { return route }
                    }
                }
                level -= 1
            }
            return nil
        }
    }

    static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x100_0000_01b3

    private static func hashBytes<C: Collection>(_ bytes: C, seed: UInt64) -> UInt64 where C.Element == UInt8 {
        var hash = seed
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* prime }
        return hash
    }

    private static func finish(_ hash: UInt64) -> UInt64 { hash }

    static func key(host: [UInt8]?, path: ArraySlice<UInt8>) -> UInt64 {
        let seed = host.map { hashBytes($0, seed: offset) ^ 0x9e37_79b9_7f4a_7c15 } ?? offset
        return finish(hashBytes(path, seed: seed))
    }
}
