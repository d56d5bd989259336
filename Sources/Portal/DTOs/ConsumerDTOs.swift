import Domain
import Foundation
import Hummingbird

struct ApplicationResponse: ResponseEncodable, Sendable {
    var id: UUID
    var teamId: UUID
    var teamName: String
    var name: String
    var description: String
    var createdAt: Date
    var updatedAt: Date

    init(_ application: Domain.Application) {
        id = application.id
        teamId = application.teamID
        teamName = application.teamName
        name = application.name
        description = application.description
        createdAt = application.createdAt
        updatedAt = application.updatedAt
    }
}

struct KeyResponse: ResponseEncodable, Sendable {
    var id: UUID
    var applicationId: UUID
    var slot: String
    var prefix: String
    var status: String
    var expired: Bool
    var expiresAt: Date?
    var createdAt: Date
    var revokedAt: Date?

    init(_ key: APIKey) {
        id = key.id
        applicationId = key.applicationID
        slot = key.slot.rawValue
        prefix = key.prefix
        status = key.status.rawValue
        expired = key.isExpired()
        expiresAt = key.expiresAt
        createdAt = key.createdAt
        revokedAt = key.revokedAt
    }
}

struct IssuedKeyResponse: ResponseEncodable, Sendable {
    var key: KeyResponse
    /// The full key. It is shown only in this response; Portico stores its SHA-256 alone.
    var secret: String

    init(_ issued: IssuedKey) {
        key = KeyResponse(issued.key)
        secret = issued.secret
    }
}

struct SubscriptionResponse: ResponseEncodable, Sendable {
    var id: UUID
    var applicationId: UUID
    var applicationName: String
    var teamId: UUID
    var teamName: String
    var apiId: UUID
    var apiName: String
    var apiTeamId: UUID
    var apiTeamName: String
    var apiVersionId: UUID
    var version: String
    var planId: UUID
    var planName: String
    var state: String
    var requestNote: String
    var requestedBy: UUID?
    var requestedByName: String?
    var requestedAt: Date
    var decidedBy: UUID?
    var decidedByName: String?
    var decidedAt: Date?
    var decisionReason: String?
    var updatedAt: Date

    init(_ s: Subscription) {
        id = s.id
        applicationId = s.applicationID
        applicationName = s.applicationName
        teamId = s.teamID
        teamName = s.teamName
        apiId = s.apiID
        apiName = s.apiName
        apiTeamId = s.apiTeamID
        apiTeamName = s.apiTeamName
        apiVersionId = s.apiVersionID
        version = s.version
        planId = s.planID
        planName = s.planName
        state = s.state.rawValue
        requestNote = s.requestNote
        requestedBy = s.requestedBy
        requestedByName = s.requestedByName
        requestedAt = s.requestedAt
        decidedBy = s.decidedBy
        decidedByName = s.decidedByName
        decidedAt = s.decidedAt
        decisionReason = s.decisionReason
        updatedAt = s.updatedAt
    }
}

struct DecisionResponse: ResponseEncodable, Sendable {
    var id: Int64
    var action: String
    var fromState: String?
    var toState: String
    var actorUserId: UUID?
    var actorName: String?
    var reason: String?
    var createdAt: Date

    init(_ d: SubscriptionDecision) {
        id = d.id
        action = d.action
        fromState = d.fromState?.rawValue
        toState = d.toState.rawValue
        actorUserId = d.actorUserID
        actorName = d.actorName
        reason = d.reason
        createdAt = d.createdAt
    }
}

struct AuditEventResponse: ResponseEncodable, Sendable {
    var id: Int64
    var actorUserId: UUID?
    var actorLabel: String
    var action: String
    var targetType: String
    var targetId: String
    var before: JSONValue?
    var after: JSONValue?
    var requestId: String?
    var clientIp: String?
    var createdAt: Date

    init(_ e: AuditEvent) {
        id = e.id
        actorUserId = e.actorUserID
        actorLabel = e.actorLabel
        action = e.action
        targetType = e.targetType
        targetId = e.targetID
        before = e.before.flatMap(JSONValue.init(json:))
        after = e.after.flatMap(JSONValue.init(json:))
        requestId = e.requestID
        clientIp = e.clientIP
        createdAt = e.createdAt
    }
}
