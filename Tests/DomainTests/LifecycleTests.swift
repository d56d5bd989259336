import Domain
import Testing

/// Every transition of both lifecycles, allowed and forbidden, against an explicit table.
@Suite struct LifecycleTests {
    static let versionAllowed: [VersionState: [VersionAction: VersionState]] = [
        .draft: [.edit: .draft, .importOpenAPI: .draft, .publish: .published],
        .published: [.deprecate: .deprecated],
        .deprecated: [.retire: .retired],
        .retired: [:],
    ]

    @Test(arguments: VersionState.allCases, VersionAction.allCases)
    func versionTransition(state: VersionState, action: VersionAction) throws {
        let expected = Self.versionAllowed[state]?[action]
        #expect(VersionLifecycle.next(from: state, on: action) == expected)
        if let expected {
            #expect(try VersionLifecycle.apply(action, to: state) == expected)
        } else {
            #expect(throws: DomainError.invalidTransition(resource: "API version", currentState: state.rawValue, action: action.rawValue)) {
                try VersionLifecycle.apply(action, to: state)
            }
        }
    }

    @Test func onlyPublishedVersionsAcceptSubscriptionsAndServedVersionsAreLive() {
        #expect(VersionState.allCases.filter(VersionLifecycle.acceptsSubscriptions) == [.published])
        #expect(VersionState.allCases.filter(VersionLifecycle.isServed) == [.published, .deprecated])
    }

    static let subscriptionAllowed: [SubscriptionState: [SubscriptionAction: SubscriptionState]] = [
        .pending: [.approve: .active, .reject: .rejected, .cancel: .cancelled],
        .active: [.suspend: .suspended, .revoke: .revoked, .cancel: .cancelled],
        .suspended: [.resume: .active, .revoke: .revoked, .cancel: .cancelled],
        .rejected: [:], .revoked: [:], .cancelled: [:],
    ]

    @Test(arguments: SubscriptionState.allCases, SubscriptionAction.allCases)
    func subscriptionTransition(state: SubscriptionState, action: SubscriptionAction) throws {
        let expected = Self.subscriptionAllowed[state]?[action]
        #expect(SubscriptionLifecycle.next(from: state, on: action) == expected)
        if let expected {
            #expect(try SubscriptionLifecycle.apply(action, to: state) == expected)
        } else {
            #expect(throws: DomainError.invalidTransition(resource: "subscription", currentState: state.rawValue, action: action.rawValue)) {
                try SubscriptionLifecycle.apply(action, to: state)
            }
        }
    }

    @Test func reasonsAndRolesPerAction() {
        #expect(SubscriptionAction.allCases.filter(\.requiresReason) == [.reject, .suspend, .revoke])
        #expect(SubscriptionAction.allCases.filter { !$0.isPublisherAction } == [.cancel])
        #expect(SubscriptionLifecycle.initialState(approvalRequired: true) == .pending)
        #expect(SubscriptionLifecycle.initialState(approvalRequired: false) == .active)
        #expect(SubscriptionState.allCases.filter(\.isLive) == [.pending, .active, .suspended])
    }
}
