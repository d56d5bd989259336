import Foundation
import Logging
import PostgresNIO

/// Reading the audit trail. Tenant admins see every event of their tenant; other members see
/// the events they caused.
public struct AuditService: Sendable {
    public struct Filter: Sendable {
        public var targetType: String?
        public var targetID: String?
        public var actorUserID: UUID?
        public var action: String?
        public var from: Date?
        public var to: Date?

        public init(targetType: String? = nil, targetID: String? = nil, actorUserID: UUID? = nil, action: String? = nil, from: Date? = nil, to: Date? = nil) {
            self.targetType = targetType
            self.targetID = targetID
            self.actorUserID = actorUserID
            self.action = action
            self.from = from
            self.to = to
        }
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func list(_ actor: Actor, filter: Filter, page: PageRequest) async throws -> Page<AuditEvent> {
        let tenantID = try actor.requireTenant()
        if let from = filter.from, let to = filter.to, from > to { throw DomainError.invalid("from", "must not be after 'to'") }
        var query = QueryBuilder(
            """
            SELECT id, tenant_id, actor_user_id, actor_label, action, target_type, target_id, before::text AS before_json,
                   after::text AS after_json, request_id, client_ip, created_at
            FROM audit_events WHERE tenant_id = 
            """)
        query.append(query.bind(tenantID))
        if !actor.isTenantAdmin { query.append(" AND actor_user_id = \(query.bind(actor.userID))") }
        if let value = filter.targetType { query.append(" AND target_type = \(query.bind(value))") }
        if let value = filter.targetID { query.append(" AND target_id = \(query.bind(value.lowercased()))") }
        if let value = filter.actorUserID { query.append(" AND actor_user_id = \(query.bind(value))") }
        if let value = filter.action {
            if value.hasSuffix(".") || !value.contains(".") {
                // "subscription" or "subscription." matches every subscription.* action.
                let prefix = value.hasSuffix(".") ? value : value + "."
                query.append(" AND action LIKE \(query.bind(prefix.replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"))")
            } else {
                query.append(" AND action = \(query.bind(value))")
            }
        }
        if let value = filter.from { query.append(" AND created_at >= \(query.bind(value))") }
        if let value = filter.to { query.append(" AND created_at < \(query.bind(value))") }
        if let id = page.cursor?.sequence { query.append(" AND id < \(query.bind(id))") }
        query.append(" ORDER BY id DESC LIMIT \(page.limit + 1)")
        let logger = database.logger
        let rows = try await database.read { connection in
            try await connection.query(query.query, logger: logger).all { row in
                AuditEvent(
                    id: try row.get("id"), tenantID: try row.get("tenant_id"), actorUserID: try row.get("actor_user_id"),
                    actorLabel: try row.get("actor_label"), action: try row.get("action"), targetType: try row.get("target_type"),
                    targetID: try row.get("target_id"), before: try row.get("before_json"), after: try row.get("after_json"),
                    requestID: try row.get("request_id"), clientIP: try row.get("client_ip"), createdAt: try row.get("created_at"))
            }
        }
        return page.page(rows) { Cursor(sequence: $0.id) }
    }
}
