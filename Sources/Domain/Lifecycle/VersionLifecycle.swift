/// What can be done to an API version.
public enum VersionAction: String, Sendable, CaseIterable {
    case edit
    case importOpenAPI = "import_openapi"
    case publish
    case deprecate
    case retire
}

/// The API version lifecycle: `draft → published → deprecated → retired`. Only drafts are
/// editable; publishing freezes the routing; retired is final.
public enum VersionLifecycle {
    /// The state after `action`, or nil when the transition is not allowed.
    public static func next(from state: VersionState, on action: VersionAction) -> VersionState? {
        switch (state, action) {
        case (.draft, .edit), (.draft, .importOpenAPI): .draft
        case (.draft, .publish): .published
        case (.published, .deprecate): .deprecated
        case (.deprecated, .retire): .retired
        default: nil
        }
    }

    /// Like `next`, but throws the 409 the API returns for a forbidden transition.
    public static func apply(_ action: VersionAction, to state: VersionState) throws -> VersionState {
        guard let next = next(from: state, on: action) else {
            throw DomainError.invalidTransition(resource: "API version", currentState: state.rawValue, action: action.rawValue)
        }
        return next
    }

    /// Whether a version in this state accepts new subscriptions.
    public static func acceptsSubscriptions(_ state: VersionState) -> Bool { state == .published }

    /// Whether the gateway serves calls for a version in this state.
    public static func isServed(_ state: VersionState) -> Bool { state == .published || state == .deprecated }
}
