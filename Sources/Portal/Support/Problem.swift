import Domain
import Foundation
import Hummingbird
import Logging

/// An RFC 9457 problem document. Every error the portal returns is one of these, with a stable
/// `type` URI per kind of error so clients can branch on it.
struct Problem: HTTPResponseError, Sendable {
    static let typeBase = "https://portico.dev/problems/"

    var status: HTTPResponse.Status
    var type: String
    var title: String
    var detail: String?
    var errors: [FieldError] = []
    var currentState: String?
    var retryAfterSeconds: Int?

    init(_ status: HTTPResponse.Status, type: String, title: String, detail: String? = nil) {
        self.status = status
        self.type = Self.typeBase + type
        self.title = title
        self.detail = detail
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: Any] = ["type": type, "title": title, "status": Int(status.code)]
        if let detail { body["detail"] = detail }
        body["instance"] = request.uri.path
        if !errors.isEmpty { body["errors"] = errors.map { ["field": $0.field, "message": $0.message] } }
        if let currentState { body["currentState"] = currentState }
        if let requestID = context.logger[metadataKey: "request.id"] { body["requestId"] = "\(requestID)" }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"portico\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: The problem kinds

    static func validation(_ errors: [FieldError]) -> Problem {
        var problem = Problem(.badRequest, type: "validation-failed", title: "The request has invalid fields",
            detail: errors.map { "\($0.field) \($0.message)" }.joined(separator: "; "))
        problem.errors = errors
        return problem
    }

    static func malformed(_ detail: String) -> Problem {
        Problem(.badRequest, type: "malformed-request", title: "The request body could not be read", detail: detail)
    }

    static func unauthenticated(_ detail: String = "Sign in or send a bearer token.") -> Problem {
        Problem(.unauthorized, type: "unauthenticated", title: "Authentication required", detail: detail)
    }

    static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, type: "forbidden", title: "Not allowed", detail: detail)
    }

    static func csrf() -> Problem {
        Problem(.forbidden, type: "csrf-token-invalid", title: "Missing or wrong CSRF token",
            detail: "Cookie-authenticated writes must send the X-CSRF-Token header returned at sign-in.")
    }

    static func notFound(_ resource: String) -> Problem {
        Problem(.notFound, type: "not-found", title: "Not found", detail: "No \(resource) with this id exists, or you may not see it.")
    }

    static func routeNotFound() -> Problem {
        Problem(.notFound, type: "not-found", title: "Not found", detail: "No such endpoint. See /api/v1/openapi.json.")
    }

    static func methodNotAllowed() -> Problem {
        Problem(.methodNotAllowed, type: "method-not-allowed", title: "Method not allowed", detail: "See /api/v1/openapi.json.")
    }

    static func conflict(_ detail: String) -> Problem {
        Problem(.conflict, type: "conflict", title: "Conflict", detail: detail)
    }

    static func invalidTransition(resource: String, currentState: String, action: String) -> Problem {
        var problem = Problem(.conflict, type: "invalid-transition", title: "This action is not allowed in the current state",
            detail: "Cannot \(action.replacingOccurrences(of: "_", with: " ")) a \(resource) that is \(currentState).")
        problem.currentState = currentState
        return problem
    }

    static func tooLarge(limit: Int) -> Problem {
        Problem(.contentTooLarge, type: "payload-too-large", title: "Request body too large", detail: "The limit is \(limit) bytes.")
    }

    static func unsupportedMediaType() -> Problem {
        Problem(.unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
            detail: "Send the body as application/json.")
    }

    static func rateLimited(retryAfter: Int, detail: String) -> Problem {
        var problem = Problem(.tooManyRequests, type: "too-many-requests", title: "Too many requests", detail: detail)
        problem.retryAfterSeconds = retryAfter
        return problem
    }

    static func unavailable() -> Problem {
        var problem = Problem(.serviceUnavailable, type: "service-unavailable", title: "Temporarily unavailable",
            detail: "The database cannot be reached; retry shortly.")
        problem.retryAfterSeconds = 5
        return problem
    }

    static func internalError() -> Problem {
        Problem(.internalServerError, type: "internal-error", title: "Internal error",
            detail: "Something went wrong on our side; the request id helps the operators find it.")
    }

    /// The problem for a domain error.
    init(_ error: DomainError) {
        switch error {
        case .notFound(let resource): self = .notFound(resource)
        case .unauthenticated(let detail): self = .unauthenticated(detail)
        case .forbidden(let detail): self = .forbidden(detail)
        case .validation(let errors): self = .validation(errors)
        case .conflict(let detail): self = .conflict(detail)
        case .invalidTransition(let resource, let state, let action): self = .invalidTransition(resource: resource, currentState: state, action: action)
        case .rateLimited(let retryAfter, let message): self = .rateLimited(retryAfter: retryAfter, detail: message)
        }
    }
}
