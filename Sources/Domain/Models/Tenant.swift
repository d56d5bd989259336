import Foundation

public struct Tenant: Sendable, Equatable, Codable {
    public var id: UUID
    public var slug: String
    public var name: String
    public var createdAt: Date
}
