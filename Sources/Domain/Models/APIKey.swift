import Foundation

public enum KeySlot: String, Sendable, Codable, CaseIterable {
    case primary
    case secondary
}

public enum KeyStatus: String, Sendable, Codable, CaseIterable {
    case active
    /// Temporarily refused by the gateway; can be enabled again.
    case disabled
    /// Permanently refused.
    case revoked
}

/// An application's key as stored: only a display prefix, never the secret.
public struct APIKey: Sendable, Equatable, Codable {
    public var id: UUID
    public var tenantID: UUID
    public var applicationID: UUID
    public var slot: KeySlot
    public var prefix: String
    public var status: KeyStatus
    public var expiresAt: Date?
    public var createdAt: Date
    public var revokedAt: Date?

    public func isExpired(at now: Date = Date()) -> Bool { expiresAt.map { $0 <= now } ?? false }
}

/// A key together with its secret, returned only by create and rotate.
public struct IssuedKey: Sendable, Equatable {
    public var key: APIKey
    public var secret: String
}
