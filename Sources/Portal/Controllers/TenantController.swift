import Domain
import Foundation
import Hummingbird

/// `/tenants` and their members.
struct TenantController {
    let services: Services

    struct MemberInput: Decodable {
        var email: String?
        var displayName: String?
        var password: String?
        var role: String?

        var domain: TenantService.NewMember { .init(email: email, displayName: displayName, password: password, role: role) }
    }

    struct CreateTenantRequest: Decodable {
        var slug: String?
        var name: String?
        var admin: MemberInput?
    }

    struct UpdateTenantRequest: Decodable {
        var name: String?
    }

    struct UpdateMemberRequest: Decodable {
        var role: String?
    }

    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.get("tenants", use: list)
        group.post("tenants", use: create)
        group.get("tenants/{id}", use: get)
        group.patch("tenants/{id}", use: update)
        group.get("tenants/{id}/members", use: listMembers)
        group.post("tenants/{id}/members", use: addMember)
        group.patch("tenants/{id}/members/{userId}", use: updateMember)
        group.delete("tenants/{id}/members/{userId}", use: removeMember)
    }

    @Sendable func list(request: Request, context: PortalContext) async throws -> ListResponse<TenantResponse> {
        let actor = try context.requireActor()
        return ListResponse(try await services.tenants.list(actor, page: try request.pageRequest()), TenantResponse.init)
    }

    @Sendable func create(request: Request, context: PortalContext) async throws -> EditedResponse<TenantResponse> {
        let actor = try context.requireActor()
        let input = try await request.decodeJSON(CreateTenantRequest.self, context: context)
        guard let admin = input.admin else { throw Problem.validation([FieldError("admin", "is required: every tenant starts with an admin")]) }
        let tenant = try await services.tenants.create(actor, slug: input.slug, name: input.name, admin: admin.domain)
        return EditedResponse(status: .created, response: TenantResponse(tenant))
    }

    @Sendable func get(request: Request, context: PortalContext) async throws -> TenantResponse {
        let actor = try context.requireActor()
        return TenantResponse(try await services.tenants.get(actor, id: try context.id(resource: "tenant")))
    }

    @Sendable func update(request: Request, context: PortalContext) async throws -> TenantResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "tenant")
        let input = try await request.decodeJSON(UpdateTenantRequest.self, context: context)
        return TenantResponse(try await services.tenants.update(actor, id: id, name: input.name))
    }

    @Sendable func listMembers(request: Request, context: PortalContext) async throws -> ListResponse<TenantMemberResponse> {
        let actor = try context.requireActor()
        let page = try await services.tenants.listMembers(
            actor, tenantID: try context.id(resource: "tenant"), query: request.query("q"), page: try request.pageRequest())
        return ListResponse(page, TenantMemberResponse.init)
    }

    @Sendable func addMember(request: Request, context: PortalContext) async throws -> EditedResponse<TenantMemberResponse> {
        let actor = try context.requireActor()
        let id = try context.id(resource: "tenant")
        let input = try await request.decodeJSON(MemberInput.self, context: context)
        let member = try await services.tenants.addMember(actor, tenantID: id, member: input.domain)
        return EditedResponse(status: .created, response: TenantMemberResponse(member))
    }

    @Sendable func updateMember(request: Request, context: PortalContext) async throws -> TenantMemberResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "tenant")
        let userID = try context.id("userId", resource: "member")
        let input = try await request.decodeJSON(UpdateMemberRequest.self, context: context)
        return TenantMemberResponse(try await services.tenants.updateMember(actor, tenantID: id, userID: userID, role: input.role))
    }

    @Sendable func removeMember(request: Request, context: PortalContext) async throws -> Response {
        let actor = try context.requireActor()
        try await services.tenants.removeMember(actor, tenantID: try context.id(resource: "tenant"), userID: try context.id("userId", resource: "member"))
        return Response(status: .noContent)
    }
}
