import Foundation
import Logging
import PostgresNIO

extension PublishingService {
    public struct PlanInput: Sendable {
        public var name: String?
        public var description: String?
        /// `.some(nil)` removes a limit on update.
        public var rateLimitPerSecond: Int??
        public var rateLimitPerMinute: Int??
        public var quotaPerDay: Int64??
        public var quotaPerMonth: Int64??
        public var approvalRequired: Bool?

        public init(
            name: String? = nil, description: String? = nil, rateLimitPerSecond: Int?? = nil, rateLimitPerMinute: Int?? = nil,
            quotaPerDay: Int64?? = nil, quotaPerMonth: Int64?? = nil, approvalRequired: Bool? = nil
        ) {
            self.name = name
            self.description = description
            self.rateLimitPerSecond = rateLimitPerSecond
            self.rateLimitPerMinute = rateLimitPerMinute
            self.quotaPerDay = quotaPerDay
            self.quotaPerMonth = quotaPerMonth
            self.approvalRequired = approvalRequired
        }
    }

    public func createPlan(_ actor: Actor, apiID: UUID, _ input: PlanInput) async throws -> Plan {
        var validator = Validator()
        let name = validator.text(input.name, "name", max: 100) ?? ""
        let description = validator.text(input.description, "description", required: false, max: 2000) ?? ""
        Self.validateLimits(input, into: &validator)
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            let api = try await Self.findAPI(id: apiID, actor: actor, on: connection, logger: logger, lock: true)
            try Self.requireMaintainer(actor, of: api)
            let plan = try await connection.query(
                """
                INSERT INTO plans AS p (tenant_id, api_id, name, description, rate_limit_per_second, rate_limit_per_minute, quota_per_day,
                    quota_per_month, approval_required)
                VALUES (\(api.tenantID), \(apiID), \(name), \(description), \(input.rateLimitPerSecond ?? nil), \(input.rateLimitPerMinute ?? nil),
                    \(input.quotaPerDay ?? nil), \(input.quotaPerMonth ?? nil), \(input.approvalRequired ?? false))
                RETURNING \(unescaped: PlanColumns.select)
                """, logger: logger
            ).first(PlanColumns.decode)!
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: api.tenantID, action: "plan.created", targetType: "plan",
                targetID: plan.id.uuidString, after: plan)
            return plan
        }
    }

    /// Plans of an API; closed plans only for its team.
    public func listPlans(_ actor: Actor, apiID: UUID) async throws -> [Plan] {
        let logger = logger
        return try await database.read { connection in
            let api = try await Self.findAPI(id: apiID, actor: actor, on: connection, logger: logger)
            let includeClosed = actor.canDevelop(forTeam: api.teamID)
            return try await connection.query(
                """
                SELECT \(unescaped: PlanColumns.select) FROM plans p WHERE p.api_id = \(apiID) AND (\(includeClosed) OR p.state = 'active')
                ORDER BY p.id
                """, logger: logger
            ).all(PlanColumns.decode)
        }
    }

    public func getPlan(_ actor: Actor, id: UUID) async throws -> Plan {
        let logger = logger
        return try await database.read { try await Self.findPlan(id: id, actor: actor, on: $0, logger: logger).plan }
    }

    /// Changes a plan; new limits apply to existing subscriptions at the gateway within a second.
    public func updatePlan(_ actor: Actor, id: UUID, _ input: PlanInput) async throws -> Plan {
        var validator = Validator()
        let name = validator.text(input.name, "name", required: false, max: 100)
        let description = validator.text(input.description, "description", required: false, max: 2000)
        Self.validateLimits(input, into: &validator)
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            let (before, api) = try await Self.findPlan(id: id, actor: actor, on: connection, logger: logger, lock: true)
            try Self.requireMaintainer(actor, of: api)
            let after = try await connection.query(
                """
                UPDATE plans p SET name = \(name ?? before.name), description = \(description ?? before.description),
                    rate_limit_per_second = \(input.rateLimitPerSecond ?? before.rateLimitPerSecond),
                    rate_limit_per_minute = \(input.rateLimitPerMinute ?? before.rateLimitPerMinute),
                    quota_per_day = \(input.quotaPerDay ?? before.quotaPerDay), quota_per_month = \(input.quotaPerMonth ?? before.quotaPerMonth),
                    approval_required = \(input.approvalRequired ?? before.approvalRequired), updated_at = now()
                WHERE p.id = \(id) RETURNING \(unescaped: PlanColumns.select)
                """, logger: logger
            ).first(PlanColumns.decode)!
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: api.tenantID, action: "plan.updated", targetType: "plan",
                targetID: id.uuidString, before: before, after: after)
            try await AuditLog.bumpConfigRevision(on: connection, logger: logger)
            return after
        }
    }

    /// Closes a plan to new subscriptions; existing ones keep their limits.
    public func closePlan(_ actor: Actor, id: UUID) async throws -> Plan {
        let logger = logger
        return try await database.transaction { connection in
            let (before, api) = try await Self.findPlan(id: id, actor: actor, on: connection, logger: logger, lock: true)
            try Self.requireMaintainer(actor, of: api)
            guard before.state == .active else {
                throw DomainError.invalidTransition(resource: "plan", currentState: before.state.rawValue, action: "close")
            }
            let after = try await connection.query(
                "UPDATE plans p SET state = 'closed', updated_at = now() WHERE p.id = \(id) RETURNING \(unescaped: PlanColumns.select)",
                logger: logger
            ).first(PlanColumns.decode)!
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: api.tenantID, action: "plan.closed", targetType: "plan",
                targetID: id.uuidString, before: before, after: after)
            return after
        }
    }

    static func findPlan(id: UUID, actor: Actor, on connection: PostgresConnection, logger: Logger, lock: Bool = false) async throws
        -> (plan: Plan, api: API)
    {
        let tenantID = try actor.requireTenant()
        let plan = try await connection.query(
            "SELECT \(unescaped: PlanColumns.select) FROM plans p WHERE p.id = \(id) AND p.tenant_id = \(tenantID) \(unescaped: lock ? "FOR UPDATE" : "")",
            logger: logger
        ).first(PlanColumns.decode)
        guard let plan else { throw DomainError.notFound(resource: "plan") }
        let api = try await findAPI(id: plan.apiID, actor: actor, on: connection, logger: logger)
        return (plan, api)
    }

    static func validateLimits(_ input: PlanInput, into validator: inout Validator) {
        if let value = input.rateLimitPerSecond ?? nil { validator.check((1...1_000_000).contains(value), "rateLimitPerSecond", "must be between 1 and 1000000") }
        if let value = input.rateLimitPerMinute ?? nil { validator.check((1...60_000_000).contains(value), "rateLimitPerMinute", "must be between 1 and 60000000") }
        if let value = input.quotaPerDay ?? nil { validator.check((1...1_000_000_000_000).contains(value), "quotaPerDay", "must be between 1 and 10^12") }
        if let value = input.quotaPerMonth ?? nil { validator.check((1...1_000_000_000_000).contains(value), "quotaPerMonth", "must be between 1 and 10^12") }
    }
}
