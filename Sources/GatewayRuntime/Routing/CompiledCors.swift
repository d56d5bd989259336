import Domain

/// A version's CORS policy, prepared for the request path: the allowed origins as bytes and the
/// header lines every answer to an allowed origin carries.
struct CompiledCors: Sendable {
    let anyOrigin: Bool
    let origins: [[UInt8]]
    let maxAgeSeconds: Int
    /// The methods a preflight is told about when the version lists them (nil: the requested one).
    let allowMethods: String?

    /// What a script may read of an answer besides the CORS-safelisted headers: everything (`*`;
    /// the gateway never allows credentials, so the wildcard holds), with the gateway's own named
    /// for browsers that read `*` as a name.
    static let exposeHeaders = "*, X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Deprecation, Sunset, Link"

    init(_ cors: RoutingConfig.Cors, allowMethods: String?) {
        anyOrigin = cors.allowedOrigins.contains("*")
        origins = cors.allowedOrigins.map { Array($0.utf8) }
        maxAgeSeconds = cors.maxAgeSeconds
        self.allowMethods = allowMethods
    }

    func allows(_ origin: [UInt8]) -> Bool {
        anyOrigin || origins.contains(origin)
    }

    private func allowOriginLine(_ origin: [UInt8]) -> [UInt8] {
        Array("Access-Control-Allow-Origin: ".utf8) + (anyOrigin ? [0x2A] : origin) + [0x0D, 0x0A]
    }

    /// The lines added to every answer of a version with this policy (proxied or the gateway's
    /// own): the allowance for an allowed origin, and `Vary: Origin` on the others too when the
    /// answer depends on the origin, so no cache hands one origin's answer to another (Fetch,
    /// "CORS protocol and HTTP caches"). `origin` is nil when the request had none.
    func responseLines(origin: [UInt8]?) -> [UInt8] {
        var lines: [UInt8] = anyOrigin ? [] : Array("Vary: Origin\r\n".utf8)
        if anyOrigin || (origin.map(allows) ?? false) {
            lines += allowOriginLine(origin ?? []) + Array("Access-Control-Expose-Headers: \(Self.exposeHeaders)\r\n".utf8)
        }
        return lines
    }

    /// The head of a preflight answer (204, no body), without its final blank line.
    func preflightLines(origin: [UInt8], requestedMethod: [UInt8], requestedHeaders: [UInt8]?) -> [UInt8] {
        var lines = Array("HTTP/1.1 204 No Content\r\n".utf8) + allowOriginLine(origin)
        lines += Array("Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers\r\n".utf8)
        let method = !requestedMethod.isEmpty && requestedMethod.allSatisfy(RequestHeadParser.isTokenByte) ? requestedMethod : Array("GET, HEAD, POST, PUT, PATCH, DELETE".utf8)
        lines += Array("Access-Control-Allow-Methods: ".utf8) + (allowMethods.map { Array($0.utf8) } ?? method) + [0x0D, 0x0A]
        if let requestedHeaders, !requestedHeaders.isEmpty, requestedHeaders.allSatisfy(Self.isListByte) {
            lines += Array("Access-Control-Allow-Headers: ".utf8) + requestedHeaders + [0x0D, 0x0A]
        }
        lines += Array("Access-Control-Max-Age: \(maxAgeSeconds)\r\n".utf8)
        return lines
    }

    /// Header names, commas and spaces: what a requested-headers list may hold to be echoed.
    private static func isListByte(_ byte: UInt8) -> Bool {
        RequestHeadParser.isTokenByte(byte) || byte == 0x2C || byte == 0x20
    }
}
