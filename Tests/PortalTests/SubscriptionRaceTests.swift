import Foundation
import HTTPTypes
import Testing

@testable import Portal

/// Concurrent decisions on one pending request: exactly one wins, one decision and one audit event.
@Suite struct SubscriptionRaceTests {
    @Test func twentyConcurrentApproveAndRejectCallsLeaveOneDecision() async throws {
        try await PortalHarness.run { portal in
            let w = try await World.make(portal)
            let app = try await portal.request(.post, "/api/v1/applications", token: w.developer, json: ["teamId": w.consumerTeam, "name": "Racer"])
            let pending = try await portal.request(
                .post, "/api/v1/subscriptions", token: w.developer, json: ["applicationId": app.id, "apiVersionId": w.echoVersion, "planId": w.goldPlan])
            #expect(pending.string("state") == "pending")

            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<20 {
                    let action = index % 2 == 0 ? "approve" : "reject"
                    group.addTask {
                        try await portal.request(.post, "/api/v1/subscriptions/\(pending.id)/\(action)", token: w.maintainer, json: ["reason": "race \(index)"]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 19)

            let decisions = try await portal.request(.get, "/api/v1/subscriptions/\(pending.id)/decisions", token: w.maintainer).items
            #expect(decisions.compactMap { $0["action"] as? String }.filter { ["approve", "reject"].contains($0) }.count == 1)
            let audit = try await portal.request(.get, "/api/v1/audit-events?targetId=\(pending.id)&limit=100", token: w.admin).items
            #expect(audit.count >= 2)
            let decisionsAudited = audit.filter { ["subscription.approve", "subscription.reject"].contains($0["action"] as? String) }
            #expect(decisionsAudited.count == 1)
        }
    }
}
