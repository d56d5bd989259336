import Foundation

public enum PlanState: String, Sendable, Codable, CaseIterable {
    case active
    /// Existing subscriptions keep working; no new subscriptions.
    case closed
}

/// What a subscription may consume: a rate limit, a calendar-aligned quota, and whether a
/// maintainer must approve each request.
public struct Plan: Sendable, Equatable, Codable {
    public var id: UUID
    public var tenantID: UUID
    public var apiID: UUID
    public var name: String
    public var description: String
    public var rateLimitPerSecond: Int?
    public var rateLimitPerMinute: Int?
    public var quotaPerDay: Int64?
    public var quotaPerMonth: Int64?
    public var approvalRequired: Bool
    public var state: PlanState
    public var createdAt: Date
    public var updatedAt: Date
}
