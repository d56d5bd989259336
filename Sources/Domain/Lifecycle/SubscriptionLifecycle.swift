/// What can be done to a subscription, and by whom.
public enum SubscriptionAction: String, Sendable, CaseIterable {
    /// Publisher side.
    case approve, reject, suspend, resume, revoke
    /// Consumer side.
    case cancel

    /// Publisher decisions are taken by maintainers of the API's team; cancel by the application's team.
    public var isPublisherAction: Bool { self != .cancel }

    /// Reject, suspend and revoke must say why, so the consumer learns it.
    public var requiresReason: Bool { self == .reject || self == .suspend || self == .revoke }
}

/// The subscription lifecycle: `pending → active | rejected`, `active ⇄ suspended`,
/// `active|suspended → revoked` (publisher) or `cancelled` (consumer); a pending request may be
/// withdrawn (cancelled) by the consumer. Rejected, revoked and cancelled are final.
public enum SubscriptionLifecycle {
    public static func next(from state: SubscriptionState, on action: SubscriptionAction) -> SubscriptionState? {
        switch (state, action) {
        case (.pending, .approve): .active
        case (.pending, .reject): .rejected
        case (.pending, .cancel): .cancelled
        case (.active, .suspend): .suspended
        case (.active, .revoke), (.suspended, .revoke): .revoked
        case (.active, .cancel), (.suspended, .cancel): .cancelled
        case (.suspended, .resume): .active
        default: nil
        }
    }

    public static func apply(_ action: SubscriptionAction, to state: SubscriptionState) throws -> SubscriptionState {
        guard let next = next(from: state, on: action) else {
            throw DomainError.invalidTransition(resource: "subscription", currentState: state.rawValue, action: action.rawValue)
        }
        return next
    }

    /// The state a new request starts in.
    public static func initialState(approvalRequired: Bool) -> SubscriptionState {
        approvalRequired ? .pending : .active
    }
}
