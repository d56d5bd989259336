import Foundation

/// One entry of the audit trail. `before` and `after` are JSON documents of the changed resource.
public struct AuditEvent: Sendable, Equatable {
    public var id: Int64
    public var tenantID: UUID?
    public var actorUserID: UUID?
    public var actorLabel: String
    public var action: String
    public var targetType: String
    public var targetID: String
    public var before: String?
    public var after: String?
    public var requestID: String?
    public var clientIP: String?
    public var createdAt: Date
}
