import Foundation
import Hummingbird

/// Serves the OpenAPI 3.1 document of `/api/v1`.
struct OpenAPIController {
    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json", .accessControlAllowOrigin: "*"],
                body: .init(byteBuffer: ByteBuffer(bytes: PortalOpenAPI.documentData)))
        }
    }
}
