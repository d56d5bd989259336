import Foundation
import Logging
import PostgresNIO

/// Appends audit events inside the transaction of the change they describe, so a change and its
/// audit entry commit or roll back together.
enum AuditLog {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func json(_ value: (some Encodable)?) -> String? {
        guard let value, let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func record(
        on connection: PostgresConnection, logger: Logger, actor: Actor?, tenantID: UUID?, action: String, targetType: String,
        targetID: String, before: (some Encodable)? = String?.none, after: (some Encodable)? = String?.none
    ) async throws {
        let beforeJSON = json(before)
        let afterJSON = json(after)
        let label = actor?.email ?? "anonymous"
        let targetID = targetID.lowercased()
        try await connection.query(
            """
            INSERT INTO audit_events (tenant_id, actor_user_id, actor_label, action, target_type, target_id, before, after, request_id, client_ip)
            VALUES (\(tenantID), \(actor?.userID), \(label), \(action), \(targetType), \(targetID), \(beforeJSON)::jsonb,
                    \(afterJSON)::jsonb, \(actor?.requestID), \(actor?.clientIP))
            """, logger: logger)
    }

    /// Bumps the gateway's config revision (and NOTIFYs) in the current transaction.
    static func bumpConfigRevision(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT portico_bump_config_revision()", logger: logger)
    }
}
