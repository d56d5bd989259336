import Foundation
import Hummingbird

/// `/_echo/**`: a small upstream Portico serves itself for the demo API, answering with the
/// request it received (method, path, query, headers, body).
struct EchoController {
    func addRoutes(to router: Router<PortalContext>) {
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head, .options] {
            router.on("_echo", method: method, use: echo)
            router.on("_echo/**", method: method, use: echo)
        }
    }

    @Sendable func echo(request: Request, context: PortalContext) async throws -> Response {
        var body = try await request.bodyBytes(context: context, limit: 1024 * 1024)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let path = String(request.uri.path.dropFirst("/_echo".count))
        let payload: [String: Any] = [
            "method": request.method.rawValue, "path": path.isEmpty ? "/" : path, "query": request.uri.query ?? "", "headers": headers,
            "body": body.readString(length: body.readableBytes) ?? "",
        ]
        let data = try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
