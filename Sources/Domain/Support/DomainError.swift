import Foundation

/// One input field that failed validation, named by its JSON path (`routing.targets[0].url`).
public struct FieldError: Sendable, Equatable, Codable {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// Every failure a use case can report. The portal maps each case to an RFC 9457 problem
/// document with a stable `type`; nothing in here carries internal details.
public enum DomainError: Error, Sendable, Equatable {
    /// The resource does not exist or the actor may not know that it exists.
    case notFound(resource: String)
    /// No credentials, or credentials that are not valid.
    case unauthenticated(String)
    /// The actor is known and may see the resource but may not do this.
    case forbidden(String)
    /// Input is malformed; each entry names a field.
    case validation([FieldError])
    /// A uniqueness rule was violated (name, slug, base path, live subscription…).
    case conflict(String)
    /// A lifecycle transition that the state machine does not allow.
    case invalidTransition(resource: String, currentState: String, action: String)
    /// Too many attempts; retry after the given number of seconds.
    case rateLimited(retryAfterSeconds: Int, message: String)

    public static func invalid(_ field: String, _ message: String) -> DomainError {
        .validation([FieldError(field, message)])
    }
}
