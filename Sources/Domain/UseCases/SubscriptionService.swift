import Foundation
import Logging
import PostgresNIO

/// Subscription requests and decisions. Developers request for their team's applications;
/// maintainers of the API's team approve, reject, suspend, resume and revoke; the application's
/// team cancels. Every decision is locked, checked by the state machine, recorded and audited
/// in one transaction, so concurrent decisions on one request leave exactly one outcome.
public struct SubscriptionService: Sendable {
    public enum Scope: String, Sendable, CaseIterable {
        /// Subscriptions of the actor's applications.
        case consumer
        /// Subscriptions to APIs the actor maintains.
        case publisher
    }

    public struct Filter: Sendable {
        public var scope: Scope
        public var state: SubscriptionState?
        public var applicationID: UUID?
        public var apiID: UUID?
        public var apiVersionID: UUID?
        public var oldestFirst: Bool

        public init(
            scope: Scope = .consumer, state: SubscriptionState? = nil, applicationID: UUID? = nil, apiID: UUID? = nil,
            apiVersionID: UUID? = nil, oldestFirst: Bool = false
        ) {
            self.scope = scope
            self.state = state
            self.applicationID = applicationID
            self.apiID = apiID
            self.apiVersionID = apiVersionID
            self.oldestFirst = oldestFirst
        }
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    var logger: Logger { database.logger }

    public func request(_ actor: Actor, applicationID: UUID?, apiVersionID: UUID?, planID: UUID?, note: String?) async throws -> Subscription {
        var validator = Validator()
        validator.check(applicationID != nil, "applicationId", "is required")
        validator.check(apiVersionID != nil, "apiVersionId", "is required")
        validator.check(planID != nil, "planId", "is required")
        let note = validator.text(note, "note", required: false, max: 2000) ?? ""
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            let application = try await ApplicationService.find(id: applicationID!, actor: actor, on: connection, logger: logger)
            let (version, api): (APIVersion, API)
            do {
                (version, api) = try await PublishingService.findVersion(id: apiVersionID!, actor: actor, on: connection, logger: logger)
            } catch DomainError.notFound {
                throw DomainError.invalid("apiVersionId", "is not an API version you can subscribe to")
            }
            guard VersionLifecycle.acceptsSubscriptions(version.state) else {
                let why = version.state == .deprecated ? "it is deprecated" : "it is \(version.state.rawValue)"
                throw DomainError.conflict("Version \(version.version) of \(api.name) accepts no new subscriptions: \(why).")
            }
            let plan = try await connection.query(
                "SELECT \(unescaped: PlanColumns.select) FROM plans p WHERE p.id = \(planID!) AND p.api_id = \(api.id)", logger: logger
            ).first(PlanColumns.decode)
            guard let plan else { throw DomainError.invalid("planId", "is not a plan of this API") }
            guard plan.state == .active else { throw DomainError.conflict("The plan '\(plan.name)' is closed to new subscriptions.") }
            let state = SubscriptionLifecycle.initialState(approvalRequired: plan.approvalRequired)
            let decided = state == .active
            let id = try await connection.query(
                """
                INSERT INTO subscriptions (tenant_id, application_id, api_id, api_version_id, plan_id, state, request_note, requested_by,
                    decided_by, decided_at, decision_reason)
                VALUES (\(application.tenantID), \(application.id), \(api.id), \(version.id), \(plan.id), \(state.rawValue), \(note),
                    \(actor.userID), \(decided ? actor.userID : nil), \(decided ? Date() : nil), \(decided ? "Plan needs no approval" : nil))
                RETURNING id
                """, logger: logger
            ).first { try $0.get("id", as: UUID.self) }!
            try await Self.recordDecision(
                subscriptionID: id, tenantID: application.tenantID, action: "request", from: nil, to: state, actor: actor, reason: nil,
                on: connection, logger: logger)
            let subscription = try await Self.find(id: id, tenantID: application.tenantID, on: connection, logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: application.tenantID, action: "subscription.requested",
                targetType: "subscription", targetID: id.uuidString, after: subscription)
            // The gateway also names pending and suspended subscriptions in its 403, so every change is published.
            try await AuditLog.bumpConfigRevision(on: connection, logger: logger)
            return subscription
        }
    }

    public func list(_ actor: Actor, filter: Filter, page: PageRequest) async throws -> Page<Subscription> {
        let tenantID = try actor.requireTenant()
        var query = QueryBuilder("SELECT \(SubscriptionColumns.select) FROM \(SubscriptionColumns.from) WHERE s.tenant_id = ")
        query.append(query.bind(tenantID))
        if !actor.isTenantAdmin {
            switch filter.scope {
            case .consumer:
                query.append(" AND app.team_id = ANY(\(query.bind(Array(actor.teamRoles.keys))))")
            case .publisher:
                let maintained = actor.teamRoles.filter { $0.value == .maintainer }.map(\.key)
                query.append(" AND a.team_id = ANY(\(query.bind(maintained)))")
            }
        }
        if let state = filter.state { query.append(" AND s.state = \(query.bind(state.rawValue))") }
        if let id = filter.applicationID { query.append(" AND s.application_id = \(query.bind(id))") }
        if let id = filter.apiID { query.append(" AND s.api_id = \(query.bind(id))") }
        if let id = filter.apiVersionID { query.append(" AND s.api_version_id = \(query.bind(id))") }
        if let after = page.cursor?.uuid { query.append(" AND s.id \(filter.oldestFirst ? ">" : "<") \(query.bind(after))") }
        query.append(" ORDER BY s.id \(filter.oldestFirst ? "ASC" : "DESC") LIMIT \(page.limit + 1)")
        let logger = logger
        let rows = try await database.read { try await $0.query(query.query, logger: logger).all(SubscriptionColumns.decode) }
        return page.page(rows) { Cursor(id: $0.id) }
    }

    public func get(_ actor: Actor, id: UUID) async throws -> Subscription {
        let tenantID = try actor.requireTenant()
        let logger = logger
        let subscription = try await database.read { try await Self.find(id: id, tenantID: tenantID, on: $0, logger: logger) }
        try Self.checkVisible(actor, subscription)
        return subscription
    }

    public func decisions(_ actor: Actor, id: UUID) async throws -> [SubscriptionDecision] {
        _ = try await get(actor, id: id)
        let logger = logger
        return try await database.read { connection in
            try await connection.query(
                """
                SELECT d.id, d.subscription_id, d.action, d.from_state, d.to_state, d.actor_user_id, u.display_name AS actor_name, d.reason,
                       d.created_at
                FROM subscription_decisions d LEFT JOIN users u ON u.id = d.actor_user_id
                WHERE d.subscription_id = \(id) ORDER BY d.id
                """, logger: logger
            ).all { row in
                SubscriptionDecision(
                    id: try row.get("id"), subscriptionID: try row.get("subscription_id"), action: try row.get("action"),
                    fromState: try row.get("from_state", as: String?.self).flatMap(SubscriptionState.init(rawValue:)),
                    toState: SubscriptionState(rawValue: try row.get("to_state")) ?? .pending, actorUserID: try row.get("actor_user_id"),
                    actorName: try row.get("actor_name"), reason: try row.get("reason"), createdAt: try row.get("created_at"))
            }
        }
    }

    /// Applies one decision (approve, reject, suspend, resume, revoke, cancel).
    public func decide(_ actor: Actor, id: UUID, action: SubscriptionAction, reason: String?) async throws -> Subscription {
        let tenantID = try actor.requireTenant()
        var validator = Validator()
        let reason = validator.text(reason, "reason", required: action.requiresReason, max: 2000)
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            // Lock the row first: concurrent decisions queue here and see the state the winner left.
            guard let (before, versionState) = try await SubscriptionForDecision.fetch(id: id, tenantID: tenantID, on: connection, logger: logger) else {
                throw DomainError.notFound(resource: "subscription")
            }
            try Self.checkVisible(actor, before)
            let apiTeam = before.apiTeamID
            if action.isPublisherAction {
                guard actor.canMaintain(team: apiTeam) else {
                    throw DomainError.forbidden("Only maintainers of the API's team (or tenant admins) can \(action.rawValue) subscriptions.")
                }
            } else {
                guard actor.canDevelop(forTeam: before.teamID) else {
                    throw DomainError.forbidden("Only members of the application's team can cancel its subscriptions.")
                }
            }
            let next = try SubscriptionLifecycle.apply(action, to: before.state)
            if action == .approve || action == .resume {
                if versionState == VersionState.retired.rawValue {
                    throw DomainError.conflict("The API version is retired; the subscription cannot become active.")
                }
            }
            var after = before
            (after.decidedAt, after.updatedAt) = try await connection.query(
                """
                UPDATE subscriptions SET state = \(next.rawValue), decided_by = \(actor.userID), decided_at = now(),
                    decision_reason = \(reason), updated_at = now()
                WHERE id = \(id) RETURNING decided_at, updated_at
                """, logger: logger
            ).first { (try $0.get("decided_at", as: Date.self), try $0.get("updated_at", as: Date.self)) }!
            after.state = next
            after.decidedBy = actor.userID
            after.decidedByName = actor.displayName
            after.decisionReason = reason
            try await Self.recordDecision(
                subscriptionID: id, tenantID: tenantID, action: action.rawValue, from: before.state, to: next, actor: actor, reason: reason,
                on: connection, logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: tenantID, action: "subscription.\(action.rawValue)",
                targetType: "subscription", targetID: id.uuidString, before: before, after: after)
            try await AuditLog.bumpConfigRevision(on: connection, logger: logger)
            return after
        }
    }

    // MARK: Helpers

    static func find(id: UUID, tenantID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Subscription {
        let subscription = try await connection.query(
            """
            SELECT \(unescaped: SubscriptionColumns.select) FROM \(unescaped: SubscriptionColumns.from) WHERE s.id = \(id) AND s.tenant_id = \(tenantID)
            """,
            logger: logger
        ).first(SubscriptionColumns.decode)
        guard let subscription else { throw DomainError.notFound(resource: "subscription") }
        return subscription
    }

    /// The application's team and the API's team may see a subscription; so may tenant admins.
    static func checkVisible(_ actor: Actor, _ subscription: Subscription) throws {
        if actor.isTenantAdmin || actor.isMember(ofTeam: subscription.teamID) { return }
        if actor.isMember(ofTeam: subscription.apiTeamID) { return }
        throw DomainError.notFound(resource: "subscription")
    }

    static func recordDecision(
        subscriptionID: UUID, tenantID: UUID, action: String, from: SubscriptionState?, to: SubscriptionState, actor: Actor, reason: String?,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO subscription_decisions (tenant_id, subscription_id, action, from_state, to_state, actor_user_id, reason)
            VALUES (\(tenantID), \(subscriptionID), \(action), \(from?.rawValue), \(to.rawValue), \(actor.userID), \(reason))
            """, logger: logger)
    }
}
