import Domain
import Foundation
import Hummingbird

/// `/subscriptions`: requests, the approvers' inbox, and decisions.
struct SubscriptionController {
    let services: Services

    struct RequestSubscription: Decodable {
        var applicationId: UUID?
        var apiVersionId: UUID?
        var planId: UUID?
        var note: String?
    }

    struct DecisionRequest: Decodable {
        var reason: String?
    }

    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.get("subscriptions", use: list)
        group.post("subscriptions", use: request)
        group.get("subscriptions/inbox", use: inbox)
        group.get("subscriptions/{id}", use: get)
        group.get("subscriptions/{id}/decisions", use: decisions)
        for action in SubscriptionAction.allCases {
            group.post("subscriptions/{id}/\(action.rawValue)") { request, context in
                try await decide(action, request: request, context: context)
            }
        }
    }

    @Sendable func list(request: Request, context: PortalContext) async throws -> ListResponse<SubscriptionResponse> {
        let actor = try context.requireActor()
        let filter = SubscriptionService.Filter(
            scope: try request.queryEnum("scope", SubscriptionService.Scope.self) ?? .consumer,
            state: try request.queryEnum("state", SubscriptionState.self), applicationID: try request.queryUUID("applicationId"),
            apiID: try request.queryUUID("apiId"), apiVersionID: try request.queryUUID("apiVersionId"))
        return ListResponse(try await services.subscriptions.list(actor, filter: filter, page: try request.pageRequest()), SubscriptionResponse.init)
    }

    /// Pending requests for APIs the caller maintains, oldest first.
    @Sendable func inbox(request: Request, context: PortalContext) async throws -> ListResponse<SubscriptionResponse> {
        let actor = try context.requireActor()
        let filter = SubscriptionService.Filter(scope: .publisher, state: .pending, apiID: try request.queryUUID("apiId"), oldestFirst: true)
        return ListResponse(try await services.subscriptions.list(actor, filter: filter, page: try request.pageRequest()), SubscriptionResponse.init)
    }

    @Sendable func request(request: Request, context: PortalContext) async throws -> EditedResponse<SubscriptionResponse> {
        let actor = try context.requireActor()
        let input = try await request.decodeJSON(RequestSubscription.self, context: context)
        let subscription = try await services.subscriptions.request(
            actor, applicationID: input.applicationId, apiVersionID: input.apiVersionId, planID: input.planId, note: input.note)
        return EditedResponse(status: .created, response: SubscriptionResponse(subscription))
    }

    @Sendable func get(request: Request, context: PortalContext) async throws -> SubscriptionResponse {
        let actor = try context.requireActor()
        return SubscriptionResponse(try await services.subscriptions.get(actor, id: try context.id(resource: "subscription")))
    }

    @Sendable func decisions(request: Request, context: PortalContext) async throws -> ListResponse<DecisionResponse> {
        let actor = try context.requireActor()
        return ListResponse(items: try await services.subscriptions.decisions(actor, id: try context.id(resource: "subscription")).map(DecisionResponse.init))
    }

    func decide(_ action: SubscriptionAction, request: Request, context: PortalContext) async throws -> SubscriptionResponse {
        let actor = try context.requireActor()
        let id = try context.id(resource: "subscription")
        let input = try await request.decodeJSON(DecisionRequest.self, context: context, limit: 16 * 1024)
        return SubscriptionResponse(try await services.subscriptions.decide(actor, id: id, action: action, reason: input.reason))
    }
}
