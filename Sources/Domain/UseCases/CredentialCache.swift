import Foundation
import NIOConcurrencyHelpers

/// Remembers resolved credentials for a few seconds so a browser's burst of requests costs one
/// lookup, not one per request. Sign-out and token revocation on this node evict at once; on
/// other portal nodes a revoked session stays usable for at most `lifetime`.
final class CredentialCache: Sendable {
    private struct Entry {
        var authentication: AuthService.Authentication
        var expires: ContinuousClock.Instant
    }

    /// Shared by every `AuthService` of the process, so role and membership changes evict it.
    static let shared = CredentialCache(lifetime: .seconds(2))

    let lifetime: Duration
    let capacity: Int
    private let entries = NIOLockedValueBox<[[UInt8]: Entry]>([:])

    init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func get(_ hash: [UInt8]) -> AuthService.Authentication? {
        entries.withLockedValue { table in
            guard let entry = table[hash] else { return nil }
            if entry.expires < .now {
                table[hash] = nil
                return nil
            }
            return entry.authentication
        }
    }

    func put(_ hash: [UInt8], _ authentication: AuthService.Authentication) {
        guard lifetime > .zero else { return }
        entries.withLockedValue { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[hash] = Entry(authentication: authentication, expires: .now + lifetime)
        }
    }

    func evict(_ hash: [UInt8]) { entries.withLockedValue { $0[hash] = nil } }
    func evictAll() { entries.withLockedValue { $0.removeAll() } }
}
