import Domain
import Foundation
import Hummingbird

/// `/audit-events`, filterable by target, actor, action and time.
struct AuditController {
    let services: Services

    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.get("audit-events", use: list)
    }

    @Sendable func list(request: Request, context: PortalContext) async throws -> ListResponse<AuditEventResponse> {
        let actor = try context.requireActor()
        let filter = AuditService.Filter(
            targetType: request.query("targetType").flatMap { $0.isEmpty ? nil : $0 },
            targetID: request.query("targetId").flatMap { $0.isEmpty ? nil : $0 }, actorUserID: try request.queryUUID("actorId"),
            action: request.query("action").flatMap { $0.isEmpty ? nil : $0 }, from: try request.queryDate("from"), to: try request.queryDate("to"))
        return ListResponse(try await services.audit.list(actor, filter: filter, page: try request.pageRequest(numericCursor: true)), AuditEventResponse.init)
    }
}
