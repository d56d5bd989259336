import Domain
import Foundation
import Hummingbird
import HTTPTypes
import Logging

/// Resolves the caller from `Authorization: Bearer …` (session or personal token) or the session
/// cookie. Routes decide whether they need a caller (`context.requireActor()`). A cookie alone
/// is not enough for a write: the browser must also send the session's CSRF token.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = PortalContext
    static let cookieName = "portico_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    let auth: AuthService

    func handle(_ request: Request, context: PortalContext, next: (Request, PortalContext) async throws -> Response) async throws -> Response {
        var context = context
        // The API description is public whatever credentials come with the request.
        if request.uri.path == "/api/v1/openapi.json" { return try await next(request, context) }
        if let header = request.headers[.authorization] {
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
                throw Problem.unauthenticated("Use 'Authorization: Bearer <token>'.")
            }
            let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            guard let authentication = try await auth.authenticate(token: token) else {
                throw Problem.unauthenticated("The token is unknown, expired or revoked.")
            }
            context.authentication = withRequest(authentication, context)
            context.sessionToken = token
        } else if let token = request.cookies[Self.cookieName]?.value, !token.isEmpty {
            if let authentication = try await auth.authenticate(token: token) {
                context.authentication = withRequest(authentication, context)
                context.authenticatedByCookie = true
                context.sessionToken = token
                if ![.get, .head, .options].contains(request.method) {
                    guard let sent = request.headers[Self.csrfHeader], let expected = authentication.csrfToken,
                        constantTimeEquals(sent, expected)
                    else { throw Problem.csrf() }
                }
            }
        }
        if let actor = context.actor {
            context.logger[metadataKey: "user.id"] = .string(actor.userID.uuidString)
        }
        return try await next(request, context)
    }

    private func withRequest(_ authentication: AuthService.Authentication, _ context: PortalContext) -> AuthService.Authentication {
        var authentication = authentication
        authentication.actor.requestID = context.requestID
        authentication.actor.clientIP = context.clientIP
        return authentication
    }

    private func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
