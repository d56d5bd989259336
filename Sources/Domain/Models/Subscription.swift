import Foundation

public enum SubscriptionState: String, Sendable, Codable, CaseIterable {
    case pending
    case active
    case rejected
    case suspended
    case revoked
    case cancelled

    /// Pending, active and suspended subscriptions count against "one live subscription per application and version".
    public var isLive: Bool { self == .pending || self == .active || self == .suspended }
}

/// An application's subscription to one API version under one plan.
public struct Subscription: Sendable, Equatable, Codable {
    public var id: UUID
    public var tenantID: UUID
    public var applicationID: UUID
    public var applicationName: String
    public var teamID: UUID
    public var teamName: String
    public var apiID: UUID
    public var apiName: String
    /// The team that publishes the API (decides on the subscription).
    public var apiTeamID: UUID
    public var apiTeamName: String
    public var apiVersionID: UUID
    public var version: String
    public var planID: UUID
    public var planName: String
    public var state: SubscriptionState
    public var requestNote: String
    public var requestedBy: UUID?
    public var requestedByName: String?
    public var requestedAt: Date
    public var decidedBy: UUID?
    public var decidedByName: String?
    public var decidedAt: Date?
    public var decisionReason: String?
    public var updatedAt: Date
}

/// One recorded decision on a subscription.
public struct SubscriptionDecision: Sendable, Equatable, Codable {
    public var id: Int64
    public var subscriptionID: UUID
    public var action: String
    public var fromState: SubscriptionState?
    public var toState: SubscriptionState
    public var actorUserID: UUID?
    public var actorName: String?
    public var reason: String?
    public var createdAt: Date
}
