import Domain
import Foundation
import Hummingbird

struct UserResponse: ResponseEncodable, Sendable {
    var id: UUID
    var email: String
    var displayName: String
    var isPlatformAdmin: Bool
    var createdAt: Date

    init(_ user: User) {
        id = user.id
        email = user.email
        displayName = user.displayName
        isPlatformAdmin = user.isPlatformAdmin
        createdAt = user.createdAt
    }
}

struct TenantResponse: ResponseEncodable, Sendable {
    var id: UUID
    var slug: String
    var name: String
    var createdAt: Date

    init(_ tenant: Tenant) {
        id = tenant.id
        slug = tenant.slug
        name = tenant.name
        createdAt = tenant.createdAt
    }
}

struct TenantMemberResponse: ResponseEncodable, Sendable {
    var user: UserResponse
    var role: String
    var joinedAt: Date

    init(_ member: TenantMember) {
        user = UserResponse(member.user)
        role = member.role.rawValue
        joinedAt = member.joinedAt
    }
}

struct TeamResponse: ResponseEncodable, Sendable {
    var id: UUID
    var tenantId: UUID
    var slug: String
    var name: String
    var description: String
    var createdAt: Date

    init(_ team: Team) {
        id = team.id
        tenantId = team.tenantID
        slug = team.slug
        name = team.name
        description = team.description
        createdAt = team.createdAt
    }
}

struct TeamMemberResponse: ResponseEncodable, Sendable {
    var teamId: UUID
    var user: UserResponse
    var role: String
    var joinedAt: Date

    init(_ member: TeamMember) {
        teamId = member.teamID
        user = UserResponse(member.user)
        role = member.role.rawValue
        joinedAt = member.joinedAt
    }
}

struct MeResponse: ResponseEncodable, Sendable {
    struct TenantRef: Encodable, Sendable {
        var id: UUID
        var slug: String
        var name: String
        var role: String
    }

    struct TeamRef: Encodable, Sendable {
        var id: UUID
        var slug: String
        var name: String
        var role: String
    }

    var user: UserResponse
    /// The tenant this session acts in.
    var tenant: TenantRef?
    var tenants: [TenantRef]
    var teams: [TeamRef]
    var csrfToken: String?

    init(_ profile: AuthService.Profile, csrfToken: String?) {
        user = UserResponse(profile.user)
        tenants = profile.tenants.map { TenantRef(id: $0.tenant.id, slug: $0.tenant.slug, name: $0.tenant.name, role: $0.role.rawValue) }
        tenant = tenants.first { $0.id == profile.tenantID }
        teams = profile.teams.map { TeamRef(id: $0.team.id, slug: $0.team.slug, name: $0.team.name, role: $0.role.rawValue) }
        self.csrfToken = csrfToken
    }
}

struct LoginResponse: ResponseEncodable, Sendable {
    var token: String
    var tokenType = "Bearer"
    var expiresAt: Date
    var csrfToken: String
    var me: MeResponse
}

struct PersonalTokenResponse: ResponseEncodable, Sendable {
    var id: UUID
    var name: String
    var prefix: String
    var tenantId: UUID?
    var expiresAt: Date?
    var lastUsedAt: Date?
    var revokedAt: Date?
    var createdAt: Date

    init(_ token: AuthService.PersonalAccessToken) {
        id = token.id
        name = token.name
        prefix = token.prefix
        tenantId = token.tenantID
        expiresAt = token.expiresAt
        lastUsedAt = token.lastUsedAt
        revokedAt = token.revokedAt
        createdAt = token.createdAt
    }
}

struct CreatedPersonalTokenResponse: ResponseEncodable, Sendable {
    var token: PersonalTokenResponse
    /// Shown once; store it now.
    var secret: String
}
