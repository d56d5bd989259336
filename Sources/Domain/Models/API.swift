import Foundation

public enum Visibility: String, Sendable, Codable, CaseIterable {
    /// Anyone may browse it, even signed out.
    case `public`
    /// Members of the owning tenant.
    case tenant
    /// Members of the owning team (and tenant admins).
    case team
}

/// An API owned by a team; its versions carry the routing and the lifecycle state.
public struct API: Sendable, Equatable, Codable {
    public var id: UUID
    public var tenantID: UUID
    public var teamID: UUID
    public var teamName: String
    public var slug: String
    public var name: String
    public var description: String
    public var tags: [String]
    public var visibility: Visibility
    public var createdAt: Date
    public var updatedAt: Date
}
