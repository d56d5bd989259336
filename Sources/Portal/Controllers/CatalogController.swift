import Domain
import Foundation
import Hummingbird

/// The catalog: open to signed-out visitors (public APIs only).
struct CatalogController {
    let services: Services
    /// Base URL of the gateway, shown with each version ("http://127.0.0.1:8000").
    let gatewayURL: String

    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.get("catalog", use: search)
        group.get("catalog/tags", use: tags)
        group.get("catalog/{id}", use: detail)
        group.get("catalog/{id}/versions/{versionId}/openapi", use: openAPI)
    }

    @Sendable func search(request: Request, context: PortalContext) async throws -> ListResponse<CatalogEntryResponse> {
        let text = request.query("q")
        if let text, text.count > 200 { throw Problem.validation([FieldError("q", "must be at most 200 characters")]) }
        let page = try await services.catalog.search(
            context.actor, text: text, tag: request.query("tag"), includeDeprecated: try request.queryBool("includeDeprecated"),
            page: try request.pageRequest())
        return ListResponse(page) { CatalogEntryResponse($0, gatewayURL: gatewayURL) }
    }

    @Sendable func tags(request: Request, context: PortalContext) async throws -> ListResponse<TagCountResponse> {
        ListResponse(items: try await services.catalog.tags(context.actor).map { TagCountResponse(tag: $0.tag, count: $0.count) })
    }

    @Sendable func detail(request: Request, context: PortalContext) async throws -> CatalogDetailResponse {
        let detail = try await services.catalog.detail(context.actor, apiID: try context.id(resource: "API"))
        return CatalogDetailResponse(
            api: CatalogEntryResponse(detail.entry, gatewayURL: gatewayURL),
            versions: detail.versions.map { CatalogVersionResponse($0, gatewayURL: gatewayURL) }, plans: detail.plans.map(PlanResponse.init))
    }

    @Sendable func openAPI(request: Request, context: PortalContext) async throws -> Response {
        let document = try await services.catalog.openAPIDocument(
            context.actor, apiID: try context.id(resource: "API"), versionID: try context.id("versionId", resource: "API version"))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document)))
    }
}
