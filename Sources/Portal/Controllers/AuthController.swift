import Domain
import Foundation
import Hummingbird

/// `/auth/login`, `/auth/logout`, `/me` and personal API tokens.
struct AuthController {
    let services: Services
    /// Set the `Secure` attribute on the session cookie (behind TLS).
    let secureCookies: Bool

    struct LoginRequest: Decodable {
        var email: String?
        var password: String?
        /// Slug of the tenant to act in; defaults to the user's first tenant.
        var tenant: String?
    }

    struct CreateTokenRequest: Decodable {
        var name: String?
        var expiresAt: Date?
    }

    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.post("auth/login", use: login)
        group.post("auth/logout", use: logout)
        group.get("me", use: me)
        group.get("me/tokens", use: listTokens)
        group.post("me/tokens", use: createToken)
        group.delete("me/tokens/{id}", use: revokeToken)
    }

    @Sendable func login(request: Request, context: PortalContext) async throws -> Response {
        let input = try await request.decodeJSON(LoginRequest.self, context: context, limit: 16 * 1024)
        let session = try await services.auth.login(
            email: input.email, password: input.password, tenantSlug: input.tenant, requestID: context.requestID, clientIP: context.clientIP)
        let profile = try await services.auth.profile(session.actor)
        let body = LoginResponse(
            token: session.token, expiresAt: session.expiresAt, csrfToken: session.csrfToken, me: MeResponse(profile, csrfToken: session.csrfToken))
        var response = try body.response(from: request, context: context)
        response.setCookie(
            Cookie(
                name: AuthenticationMiddleware.cookieName, value: session.token, maxAge: Int(session.expiresAt.timeIntervalSinceNow),
                path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict))
        // Not a credential: lets the portal's pages skip `/me` for visitors who never signed in.
        response.setCookie(
            Cookie(name: "portico_signed_in", value: "1", maxAge: Int(session.expiresAt.timeIntervalSinceNow), path: "/", secure: secureCookies, httpOnly: false,
                sameSite: .strict))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func logout(request: Request, context: PortalContext) async throws -> Response {
        let actor = try context.requireActor()
        if let token = context.sessionToken, !token.hasPrefix("pat_") {
            try await services.auth.logout(token: token, actor: actor)
        }
        var response = Response(status: .noContent)
        response.setCookie(Cookie(name: AuthenticationMiddleware.cookieName, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict))
        response.setCookie(Cookie(name: "portico_signed_in", value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: false, sameSite: .strict))
        return response
    }

    @Sendable func me(request: Request, context: PortalContext) async throws -> MeResponse {
        let actor = try context.requireActor()
        return MeResponse(try await services.auth.profile(actor), csrfToken: context.authentication?.csrfToken)
    }

    @Sendable func listTokens(request: Request, context: PortalContext) async throws -> ListResponse<PersonalTokenResponse> {
        let actor = try context.requireActor()
        return ListResponse(items: try await services.auth.listTokens(actor).map(PersonalTokenResponse.init))
    }

    @Sendable func createToken(request: Request, context: PortalContext) async throws -> EditedResponse<CreatedPersonalTokenResponse> {
        let actor = try context.requireActor()
        let input = try await request.decodeJSON(CreateTokenRequest.self, context: context, limit: 16 * 1024)
        let (token, secret) = try await services.auth.createToken(actor, name: input.name, expiresAt: input.expiresAt)
        return EditedResponse(status: .created, headers: [.cacheControl: "no-store"], response: CreatedPersonalTokenResponse(token: .init(token), secret: secret))
    }

    @Sendable func revokeToken(request: Request, context: PortalContext) async throws -> Response {
        let actor = try context.requireActor()
        try await services.auth.revokeToken(actor, id: try context.id(resource: "token"))
        return Response(status: .noContent)
    }
}
