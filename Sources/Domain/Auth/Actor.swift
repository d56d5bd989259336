import Foundation

public enum TenantRole: String, Sendable, Codable, CaseIterable {
    case admin
    case member
}

public enum TeamRole: String, Sendable, Codable, CaseIterable {
    case maintainer
    case developer
}

/// The authenticated caller of a use case: who they are and the roles they hold in the
/// tenant they act in. Use cases take an `Actor` first and decide authorization themselves.
public struct Actor: Sendable, Equatable {
    public var userID: UUID
    public var email: String
    public var displayName: String
    public var isPlatformAdmin: Bool
    /// The tenant this session acts in; nil for a user without any membership.
    public var tenantID: UUID?
    public var tenantRole: TenantRole?
    public var teamRoles: [UUID: TeamRole]
    /// Carried into audit events so an entry can be matched with the request log.
    public var requestID: String?
    public var clientIP: String?

    public init(
        userID: UUID, email: String, displayName: String, isPlatformAdmin: Bool, tenantID: UUID?, tenantRole: TenantRole?,
        teamRoles: [UUID: TeamRole], requestID: String? = nil, clientIP: String? = nil
    ) {
        self.userID = userID
        self.email = email
        self.displayName = displayName
        self.isPlatformAdmin = isPlatformAdmin
        self.tenantID = tenantID
        self.tenantRole = tenantRole
        self.teamRoles = teamRoles
        self.requestID = requestID
        self.clientIP = clientIP
    }

    public var isTenantAdmin: Bool { tenantRole == .admin }

    /// The tenant every query of this actor is scoped to.
    public func requireTenant() throws -> UUID {
        guard let tenantID else { throw DomainError.forbidden("You are not a member of any tenant.") }
        return tenantID
    }

    public func isMember(ofTeam teamID: UUID) -> Bool { teamRoles[teamID] != nil }

    /// Maintainers run their team's APIs; tenant admins may do anything in their tenant.
    public func canMaintain(team teamID: UUID) -> Bool { isTenantAdmin || teamRoles[teamID] == .maintainer }

    /// Developers (and maintainers) build applications for their team.
    public func canDevelop(forTeam teamID: UUID) -> Bool { isTenantAdmin || teamRoles[teamID] != nil }

    /// Whether the actor may know that an API with this visibility exists.
    public func canSee(tenantID apiTenant: UUID, teamID: UUID, visibility: Visibility) -> Bool {
        switch visibility {
        case .public: return true
        case .tenant: return tenantID == apiTenant
        case .team: return tenantID == apiTenant && (isTenantAdmin || isMember(ofTeam: teamID))
        }
    }
}
