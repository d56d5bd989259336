import Foundation

public struct Team: Sendable, Equatable, Codable {
    public var id: UUID
    public var tenantID: UUID
    public var slug: String
    public var name: String
    public var description: String
    public var createdAt: Date
}

public struct TeamMember: Sendable, Equatable, Codable {
    public var teamID: UUID
    public var user: User
    public var role: TeamRole
    public var joinedAt: Date
}
