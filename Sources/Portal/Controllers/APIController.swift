import Domain
import Foundation
import Hummingbird

/// `/apis`, their versions and plans, and the lifecycle actions on `/versions/{id}`.
struct APIController {
    let services: Services

    struct APIInput: Decodable {
        var teamId: UUID?
        var name: String?
        var slug: String?
        var description: String?
        var tags: [String]?
        var visibility: String?

        var domain: PublishingService.APIInput {
            .init(teamID: teamId, name: name, slug: slug, description: description, tags: tags, visibility: visibility)
        }
    }

    struct VersionInput: Decodable {
        var version: String?
        var basePath: String?
        /// Absent: unchanged; null or "": no host restriction.
        var host: String??
        var routing: RoutingConfig?
        /// An OpenAPI document (JSON object) to store with the version.
        var openapi: JSONValue?

        enum CodingKeys: String, CodingKey { case version, basePath, host, routing, openapi }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            version = try container.decodeIfPresent(String.self, forKey: .version)
            basePath = try container.decodeIfPresent(String.self, forKey: .basePath)
            if container.contains(.host) {
                host = .some(try container.decodeNil(forKey: .host) ? nil : try container.decode(String.self, forKey: .host))
            }
            routing = try container.decodeIfPresent(RoutingConfig.self, forKey: .routing)
            openapi = try container.decodeIfPresent(JSONValue.self, forKey: .openapi)
        }

        func domain() throws -> PublishingService.VersionInput {
            var text: String?
            if let openapi {
                text = String(decoding: try JSONEncoder().encode(openapi), as: UTF8.self)
            }
            return .init(version: version, basePath: basePath, host: host.map { $0.flatMap { $0.isEmpty ? nil : $0 } }, routing: routing, openAPI: text)
        }
    }

    struct PlanInput: Decodable {
        var name: String?
        var description: String?
        var rateLimitPerSecond: Int??
        var rateLimitPerMinute: Int??
        var quotaPerDay: Int64??
        var quotaPerMonth: Int64??
        var approvalRequired: Bool?

        enum CodingKeys: String, CodingKey {
            case name, description, rateLimitPerSecond, rateLimitPerMinute, quotaPerDay, quotaPerMonth, approvalRequired
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func nullable<T: Decodable>(_ key: CodingKeys) throws -> T?? {
                guard container.contains(key) else { return nil }
                return .some(try container.decodeNil(forKey: key) ? nil : try container.decode(T.self, forKey: key))
            }
            name = try container.decodeIfPresent(String.self, forKey: .name)
            description = try container.decodeIfPresent(String.self, forKey: .description)
            rateLimitPerSecond = try nullable(.rateLimitPerSecond)
            rateLimitPerMinute = try nullable(.rateLimitPerMinute)
            quotaPerDay = try nullable(.quotaPerDay)
            quotaPerMonth = try nullable(.quotaPerMonth)
            approvalRequired = try container.decodeIfPresent(Bool.self, forKey: .approvalRequired)
        }

        var domain: PublishingService.PlanInput {
            .init(
                name: name, description: description, rateLimitPerSecond: rateLimitPerSecond, rateLimitPerMinute: rateLimitPerMinute,
                quotaPerDay: quotaPerDay, quotaPerMonth: quotaPerMonth, approvalRequired: approvalRequired)
        }
    }

    struct DeprecateRequest: Decodable {
        var sunsetAt: Date?
        var successorVersionId: UUID?
    }

    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.get("apis", use: listAPIs)
        group.post("apis", use: createAPI)
        group.get("apis/{id}", use: getAPI)
        group.patch("apis/{id}", use: updateAPI)
        group.delete("apis/{id}", use: deleteAPI)
        group.get("apis/{id}/versions", use: listVersions)
        group.post("apis/{id}/versions", use: createVersion)
        group.get("apis/{id}/plans", use: listPlans)
        group.post("apis/{id}/plans", use: createPlan)
        group.get("versions/{id}", use: getVersion)
        group.patch("versions/{id}", use: updateVersion)
        group.get("versions/{id}/openapi", use: getOpenAPI)
        group.put("versions/{id}/openapi", use: importOpenAPI)
        group.post("versions/{id}/publish", use: publish)
        group.post("versions/{id}/deprecate", use: deprecate)
        group.post("versions/{id}/retire", use: retire)
        group.get("plans/{id}", use: getPlan)
        group.patch("plans/{id}", use: updatePlan)
        group.post("plans/{id}/close", use: closePlan)
    }

    // MARK: APIs

    @Sendable func listAPIs(request: Request, context: PortalContext) async throws -> ListResponse<APIResponse> {
        let actor = try context.requireActor()
        let page = try await services.publishing.listAPIs(
            actor, teamID: try request.queryUUID("teamId"), query: request.query("q"), tag: request.query("tag"), page: try request.pageRequest())
        return ListResponse(page, APIResponse.init)
    }

    @Sendable func createAPI(request: Request, context: PortalContext) async throws -> EditedResponse<APIResponse> {
        let actor = try context.requireActor()
        let input = try await request.decodeJSON(APIInput.self, context: context)
        return EditedResponse(status: .created, response: APIResponse(try await services.publishing.createAPI(actor, input.domain)))
    }

    @Sendable func getAPI(request: Request, context: PortalContext) async throws -> APIResponse {
        let actor = try context.requireActor()
        return APIResponse(try await services.publishing.getAPI(actor, id: try context.id(resource: "API")))
    }

    @Sendable func updateAPI(request: Request, context: PortalContext) async throws -> APIResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "API")
        let input = try await request.decodeJSON(APIInput.self, context: context)
        return APIResponse(try await services.publishing.updateAPI(actor, id: id, input.domain))
    }

    @Sendable func deleteAPI(request: Request, context: PortalContext) async throws -> Response {
        let actor = try context.requireActor()
        try await services.publishing.deleteAPI(actor, id: try context.id(resource: "API"))
        return Response(status: .noContent)
    }

    // MARK: Versions

    @Sendable func listVersions(request: Request, context: PortalContext) async throws -> ListResponse<VersionResponse> {
        let actor = try context.requireActor()
        return ListResponse(items: try await services.publishing.listVersions(actor, apiID: try context.id(resource: "API")).map(VersionResponse.init))
    }

    @Sendable func createVersion(request: Request, context: PortalContext) async throws -> EditedResponse<VersionResponse> {
        let actor = try context.requireActor()
        let id = try context.id(resource: "API")
        let input = try await request.decodeJSON(VersionInput.self, context: context, limit: 6 * 1024 * 1024)
        let version = try await services.publishing.createVersion(actor, apiID: id, try input.domain())
        return EditedResponse(status: .created, response: VersionResponse(version))
    }

    @Sendable func getVersion(request: Request, context: PortalContext) async throws -> VersionResponse {
        let actor = try context.requireActor()
        return VersionResponse(try await services.publishing.getVersion(actor, id: try context.id(resource: "API version")).version)
    }

    @Sendable func updateVersion(request: Request, context: PortalContext) async throws -> VersionResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "API version")
        let input = try await request.decodeJSON(VersionInput.self, context: context, limit: 6 * 1024 * 1024)
        return VersionResponse(try await services.publishing.updateVersion(actor, id: id, try input.domain()))
    }

    @Sendable func getOpenAPI(request: Request, context: PortalContext) async throws -> Response {
        let actor = try context.requireActor()
        guard let document = try await services.publishing.openAPIDocument(actor, versionID: try context.id(resource: "API version")) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "This version has no OpenAPI document yet.")
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document)))
    }

    /// The body is the OpenAPI document itself (JSON, up to 5 MB).
    @Sendable func importOpenAPI(request: Request, context: PortalContext) async throws -> OpenAPIImportResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "API version")
        if let contentType = request.headers[.contentType]?.lowercased(), !contentType.contains("json") {
            throw Problem.unsupportedMediaType()
        }
        var body = try await request.bodyBytes(context: context, limit: OpenAPIDocument.maxBytes)
        let text = body.readString(length: body.readableBytes) ?? ""
        let (version, document) = try await services.publishing.importOpenAPI(actor, versionID: id, text: text)
        return OpenAPIImportResponse(
            version: VersionResponse(version), title: document.title, documentVersion: document.version, operationCount: document.operationCount)
    }

    @Sendable func publish(request: Request, context: PortalContext) async throws -> VersionResponse {
        let actor = try context.requireActor()
        return VersionResponse(try await services.publishing.publish(actor, versionID: try context.id(resource: "API version")))
    }

    @Sendable func deprecate(request: Request, context: PortalContext) async throws -> VersionResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "API version")
        let input = try await request.decodeJSON(DeprecateRequest.self, context: context)
        return VersionResponse(try await services.publishing.deprecate(actor, versionID: id, sunsetAt: input.sunsetAt, successorVersionID: input.successorVersionId))
    }

    @Sendable func retire(request: Request, context: PortalContext) async throws -> VersionResponse {
        let actor = try context.requireActor()
        return VersionResponse(try await services.publishing.retire(actor, versionID: try context.id(resource: "API version")))
    }

    // MARK: Plans

    @Sendable func listPlans(request: Request, context: PortalContext) async throws -> ListResponse<PlanResponse> {
        let actor = try context.requireActor()
        return ListResponse(items: try await services.publishing.listPlans(actor, apiID: try context.id(resource: "API")).map(PlanResponse.init))
    }

    @Sendable func createPlan(request: Request, context: PortalContext) async throws -> EditedResponse<PlanResponse> {
        let actor = try context.requireActor()
        let id = try context.id(resource: "API")
        let input = try await request.decodeJSON(PlanInput.self, context: context)
        return EditedResponse(status: .created, response: PlanResponse(try await services.publishing.createPlan(actor, apiID: id, input.domain)))
    }

    @Sendable func getPlan(request: Request, context: PortalContext) async throws -> PlanResponse {
        let actor = try context.requireActor()
        return PlanResponse(try await services.publishing.getPlan(actor, id: try context.id(resource: "plan")))
    }

    @Sendable func updatePlan(request: Request, context: PortalContext) async throws -> PlanResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "plan")
        let input = try await request.decodeJSON(PlanInput.self, context: context)
        return PlanResponse(try await services.publishing.updatePlan(actor, id: id, input.domain))
    }

    @Sendable func closePlan(request: Request, context: PortalContext) async throws -> PlanResponse {
        let actor = try context.requireActor()
        return PlanResponse(try await services.publishing.closePlan(actor, id: try context.id(resource: "plan")))
    }
}
