import Domain
import Foundation
import Hummingbird
import NIOCore

/// Per-request state: the request id, the client address, and who is calling.
struct PortalContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var requestID: String = ""
    var clientIP: String?
    var authentication: AuthService.Authentication?
    /// Whether the credential came from the session cookie (then writes need the CSRF header).
    var authenticatedByCookie = false
    var sessionToken: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientIP = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are read by `RequestBodyReader` with per-route limits; this is the absolute ceiling.
    var maxUploadSize: Int { 6 * 1024 * 1024 }

    var actor: Actor? { authentication?.actor }

    /// Responses are written by `StreamingJSONEncoder` (same JSON as `JSONEncoder` with ISO 8601 dates).
    var responseEncoder: StreamingJSONEncoder { StreamingJSONEncoder() }

    /// The authenticated actor, or a 401 problem.
    func requireActor() throws -> Actor {
        guard let actor else { throw Problem.unauthenticated() }
        return actor
    }
}
