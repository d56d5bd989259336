import Domain
import Foundation
import Hummingbird
import Logging

/// Outermost middleware: assigns the request id, turns every error into a problem document, and
/// adds security headers. Internal errors are logged with the request id and never returned.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = PortalContext

    func handle(_ request: Request, context: PortalContext, next: (Request, PortalContext) async throws -> Response) async throws -> Response {
        var context = context
        let incoming = request.headers[.init("X-Request-Id")!]
        context.requestID = incoming.flatMap { $0.count <= 128 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") } ? $0 : nil }
            ?? UUID().uuidString.lowercased()
        context.logger[metadataKey: "request.id"] = .string(context.requestID)
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try Self.problem(for: error, context: context).response(from: request, context: context)
        }
        response.headers[.init("X-Request-Id")!] = context.requestID
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "same-origin"
        if response.headers[.init("X-Frame-Options")!] == nil { response.headers[.init("X-Frame-Options")!] = "DENY" }
        return response
    }

    static func problem(for error: any Error, context: PortalContext) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let domain as DomainError:
            return Problem(domain)
        case let http as HTTPError:
            switch http.status {
            case .contentTooLarge: return .tooLarge(limit: context.maxUploadSize)
            case .notFound: return .routeNotFound()
            case .methodNotAllowed: return .methodNotAllowed()
            default:
                return Problem(http.status, type: "http-\(http.status.code)", title: http.status.reasonPhrase, detail: http.body)
            }
        default:
            context.logger.error("Unhandled error", metadata: ["error.type": "\(String(reflecting: type(of: error)))", "error": "\(error)"])
            return .internalError()
        }
    }
}
