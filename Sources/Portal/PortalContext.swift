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

    /// One encoder for every response (Hummingbird's default builds one per request).
    var responseEncoder: JSONEncoder { PortalContext.encoder }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// The authenticated actor, or a 401 problem.
    func requireActor() throws -> Actor {
        guard let actor else { throw Problem.unauthenticated() }
        return actor
    }
}
