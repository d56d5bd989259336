import Domain
import Foundation
import Hummingbird

/// `/applications` and their keys (`/keys/{id}/…`).
struct ApplicationController {
    let services: Services

    struct ApplicationInput: Decodable {
        var teamId: UUID?
        var name: String?
        var description: String?
    }

    struct CreateKeyRequest: Decodable {
        var slot: String?
        var expiresAt: Date?
    }

    struct RotateKeyRequest: Decodable {
        var expiresAt: Date?
    }

    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.get("applications", use: list)
        group.post("applications", use: create)
        group.get("applications/{id}", use: get)
        group.patch("applications/{id}", use: update)
        group.get("applications/{id}/keys", use: listKeys)
        group.post("applications/{id}/keys", use: createKey)
        group.post("keys/{id}/rotate", use: rotateKey)
        group.post("keys/{id}/disable", use: disableKey)
        group.post("keys/{id}/enable", use: enableKey)
        group.post("keys/{id}/revoke", use: revokeKey)
    }

    @Sendable func list(request: Request, context: PortalContext) async throws -> ListResponse<ApplicationResponse> {
        let actor = try context.requireActor()
        let page = try await services.applications.list(actor, teamID: try request.queryUUID("teamId"), page: try request.pageRequest())
        return ListResponse(page, ApplicationResponse.init)
    }

    @Sendable func create(request: Request, context: PortalContext) async throws -> EditedResponse<ApplicationResponse> {
        let actor = try context.requireActor()
        let input = try await request.decodeJSON(ApplicationInput.self, context: context)
        let application = try await services.applications.create(actor, teamID: input.teamId, name: input.name, description: input.description)
        return EditedResponse(status: .created, response: ApplicationResponse(application))
    }

    @Sendable func get(request: Request, context: PortalContext) async throws -> ApplicationResponse {
        let actor = try context.requireActor()
        return ApplicationResponse(try await services.applications.get(actor, id: try context.id(resource: "application")))
    }

    @Sendable func update(request: Request, context: PortalContext) async throws -> ApplicationResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "application")
        let input = try await request.decodeJSON(ApplicationInput.self, context: context)
        if input.teamId != nil { throw Problem.validation([FieldError("teamId", "cannot be changed")]) }
        return ApplicationResponse(try await services.applications.update(actor, id: id, name: input.name, description: input.description))
    }

    @Sendable func listKeys(request: Request, context: PortalContext) async throws -> ListResponse<KeyResponse> {
        let actor = try context.requireActor()
        let keys = try await services.applications.listKeys(
            actor, applicationID: try context.id(resource: "application"), includeRevoked: try request.queryBool("includeRevoked"))
        return ListResponse(items: keys.map(KeyResponse.init))
    }

    @Sendable func createKey(request: Request, context: PortalContext) async throws -> EditedResponse<IssuedKeyResponse> {
        let actor = try context.requireActor()
        let id = try context.id(resource: "application")
        let input = try await request.decodeJSON(CreateKeyRequest.self, context: context)
        let issued = try await services.applications.createKey(actor, applicationID: id, slot: input.slot, expiresAt: input.expiresAt)
        return EditedResponse(status: .created, headers: [.cacheControl: "no-store"], response: IssuedKeyResponse(issued))
    }

    @Sendable func rotateKey(request: Request, context: PortalContext) async throws -> EditedResponse<IssuedKeyResponse> {
        let actor = try context.requireActor()
        let id = try context.id(resource: "API key")
        let input = try await request.decodeJSON(RotateKeyRequest.self, context: context)
        let issued = try await services.applications.rotateKey(actor, keyID: id, expiresAt: input.expiresAt)
        return EditedResponse(status: .created, headers: [.cacheControl: "no-store"], response: IssuedKeyResponse(issued))
    }

    @Sendable func disableKey(request: Request, context: PortalContext) async throws -> KeyResponse {
        KeyResponse(try await services.applications.disableKey(try context.requireActor(), keyID: try context.id(resource: "API key")))
    }

    @Sendable func enableKey(request: Request, context: PortalContext) async throws -> KeyResponse {
        KeyResponse(try await services.applications.enableKey(try context.requireActor(), keyID: try context.id(resource: "API key")))
    }

    @Sendable func revokeKey(request: Request, context: PortalContext) async throws -> KeyResponse {
        KeyResponse(try await services.applications.revokeKey(try context.requireActor(), keyID: try context.id(resource: "API key")))
    }
}
