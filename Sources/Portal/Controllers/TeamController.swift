import Domain
import Foundation
import Hummingbird

/// `/teams` and their members.
struct TeamController {
    let services: Services

    struct TeamInput: Decodable {
        var slug: String?
        var name: String?
        var description: String?
    }

    struct AddMemberRequest: Decodable {
        var userId: UUID?
        var email: String?
        var role: String?
    }

    struct UpdateMemberRequest: Decodable {
        var role: String?
    }

    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.get("teams", use: list)
        group.post("teams", use: create)
        group.get("teams/{id}", use: get)
        group.patch("teams/{id}", use: update)
        group.delete("teams/{id}", use: delete)
        group.get("teams/{id}/members", use: listMembers)
        group.post("teams/{id}/members", use: addMember)
        group.patch("teams/{id}/members/{userId}", use: updateMember)
        group.delete("teams/{id}/members/{userId}", use: removeMember)
    }

    @Sendable func list(request: Request, context: PortalContext) async throws -> ListResponse<TeamResponse> {
        let actor = try context.requireActor()
        return ListResponse(try await services.teams.list(actor, mine: try request.queryBool("mine"), page: try request.pageRequest()), TeamResponse.init)
    }

    @Sendable func create(request: Request, context: PortalContext) async throws -> EditedResponse<TeamResponse> {
        let actor = try context.requireActor()
        let input = try await request.decodeJSON(TeamInput.self, context: context)
        let team = try await services.teams.create(actor, slug: input.slug, name: input.name, description: input.description)
        return EditedResponse(status: .created, response: TeamResponse(team))
    }

    @Sendable func get(request: Request, context: PortalContext) async throws -> TeamResponse {
        let actor = try context.requireActor()
        return TeamResponse(try await services.teams.get(actor, id: try context.id(resource: "team")))
    }

    @Sendable func update(request: Request, context: PortalContext) async throws -> TeamResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "team")
        let input = try await request.decodeJSON(TeamInput.self, context: context)
        if input.slug != nil { throw Problem.validation([FieldError("slug", "cannot be changed")]) }
        return TeamResponse(try await services.teams.update(actor, id: id, name: input.name, description: input.description))
    }

    @Sendable func delete(request: Request, context: PortalContext) async throws -> Response {
        let actor = try context.requireActor()
        try await services.teams.delete(actor, id: try context.id(resource: "team"))
        return Response(status: .noContent)
    }

    @Sendable func listMembers(request: Request, context: PortalContext) async throws -> ListResponse<TeamMemberResponse> {
        let actor = try context.requireActor()
        return ListResponse(
            try await services.teams.listMembers(actor, teamID: try context.id(resource: "team"), page: try request.pageRequest()), TeamMemberResponse.init)
    }

    @Sendable func addMember(request: Request, context: PortalContext) async throws -> EditedResponse<TeamMemberResponse> {
        let actor = try context.requireActor()
        let id = try context.id(resource: "team")
        let input = try await request.decodeJSON(AddMemberRequest.self, context: context)
        let member = try await services.teams.addMember(actor, teamID: id, userID: input.userId, email: input.email, role: input.role)
        return EditedResponse(status: .created, response: TeamMemberResponse(member))
    }

    @Sendable func updateMember(request: Request, context: PortalContext) async throws -> TeamMemberResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "team")
        let userID = try context.id("userId", resource: "team member")
        let input = try await request.decodeJSON(UpdateMemberRequest.self, context: context)
        return TeamMemberResponse(try await services.teams.updateMember(actor, teamID: id, userID: userID, role: input.role))
    }

    @Sendable func removeMember(request: Request, context: PortalContext) async throws -> Response {
        let actor = try context.requireActor()
        try await services.teams.removeMember(actor, teamID: try context.id(resource: "team"), userID: try context.id("userId", resource: "team member"))
        return Response(status: .noContent)
    }
}
