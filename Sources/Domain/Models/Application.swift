import Foundation

/// A consumer application owned by a team; it holds keys and subscriptions.
public struct Application: Sendable, Equatable, Codable {
    public var id: UUID
    public var tenantID: UUID
    public var teamID: UUID
    public var teamName: String
    public var name: String
    public var description: String
    public var createdAt: Date
    public var updatedAt: Date
}
