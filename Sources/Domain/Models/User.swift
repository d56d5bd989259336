import Foundation

public struct User: Sendable, Equatable, Codable {
    public var id: UUID
    public var email: String
    public var displayName: String
    public var isPlatformAdmin: Bool
    public var createdAt: Date
}

/// A user's membership in a tenant.
public struct TenantMember: Sendable, Equatable, Codable {
    public var user: User
    public var role: TenantRole
    public var joinedAt: Date
}

/// A tenant the user belongs to, as listed on `/me`.
public struct TenantMembership: Sendable, Equatable, Codable {
    public var tenant: Tenant
    public var role: TenantRole
}
