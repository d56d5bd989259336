import Domain
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO

/// Outermost middleware: assigns the request id, turns every error into a problem document, and
/// adds security headers. Internal errors are logged with the request id and never returned.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = PortalContext

    /// The routes, to tell "no such path" (404) from "path exists, other method" (405 with `Allow`).
    let routes: RouteTableBox

    func handle(_ request: Request, context: PortalContext, next: (Request, PortalContext) async throws -> Response) async throws -> Response {
        var context = context
        let incoming = request.headers[.init("X-Request-Id")!]
        context.requestID = incoming.flatMap { $0.count <= 128 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") } ? $0 : nil }
            ?? UUID().uuidString.lowercased()
        context.logger[metadataKey: "request.id"] = .string(context.requestID)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.methods(forPath: request.uri.path)
            if allowed.isEmpty {
                response = try Problem.routeNotFound().response(from: request, context: context)
            } else {
                response = try Problem.methodNotAllowed().response(from: request, context: context)
                response.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            }
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
            case .badRequest: return .malformed(http.body ?? "The request could not be read.")
            case .notFound: return .routeNotFound()
            case .methodNotAllowed: return .methodNotAllowed()
            default:
                return Problem(http.status, type: "http-\(http.status.code)", title: http.status.reasonPhrase, detail: http.body)
            }
        case is NIOTooManyBytesError:
            return .tooLarge(limit: context.maxUploadSize)
        case let psql as PSQLError where [.connectionError, .serverClosedConnection, .poolClosed, .clientClosedConnection].contains(psql.code):
            context.logger.error("Database unavailable", metadata: ["error": "\(psql)"])
            return .unavailable()
        case _ where String(reflecting: type(of: error)).contains("ConnectionPoolError"):
            // PostgresNIO's pool reports "cannot connect" with a type from an underscored module.
            context.logger.error("Database unavailable", metadata: ["error": "\(error)"])
            return .unavailable()
        default:
            context.logger.error("Unhandled error", metadata: ["error.type": "\(String(reflecting: type(of: error)))", "error": "\(error)"])
            return .internalError()
        }
    }
}
