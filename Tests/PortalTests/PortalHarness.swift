import Configuration
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TestSupport

@testable import Portal

/// Runs the real portal application against a fresh migrated database and offers JSON helpers.
struct PortalHarness {
    let client: any TestClientProtocol
    let database: Database

    /// Starts the portal (router test mode: the real middleware, controllers and PostgreSQL).
    static func run(logs: LogCapture? = nil, _ body: @Sendable (PortalHarness) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { database, name in
            let config = TestDatabase.shared.configuration(database: name)
            let reader = ConfigReader(
                provider: InMemoryProvider(values: [
                    "portico.database.url": .init(.string("postgres://\(config.username)@\(config.host ?? "127.0.0.1"):\(config.port ?? 5432)/\(config.database ?? "")"), isSecret: true),
                    "portico.bcrypt.cost": 4,
                    "portico.migrate": true,
                    "portico.migrations.dir": .init(.string(TestDatabase.migrationsDirectory.path), isSecret: false),
                    "portico.public.dir": .init(.string(publicDirectory), isSecret: false),
                    "portico.login.max.failures": 5,
                ]))
            var logger = Logger(label: "portal.test") { label in logs.map { $0.handler(label: label) } ?? SwiftLogNoOpLogHandler() }
            logger.logLevel = logs == nil ? .critical : .trace
            let app = try await buildApplication(reader: reader, logger: logger)
            try await app.test(.router) { client in
                try await body(PortalHarness(client: client, database: database))
            }
        }
    }

    static var publicDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("public").path
    }

    // MARK: Requests

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        }
        var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
        var text: String { String(buffer: body) }
        func string(_ key: String) -> String? { json[key] as? String }
        var id: String { json["id"] as? String ?? "" }
        /// The `type` of a problem document, without the common prefix.
        var problemType: String? { (json["type"] as? String)?.replacingOccurrences(of: "https://portico.dev/problems/", with: "") }
    }

    @discardableResult
    func request(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: Any? = nil, raw: String? = nil,
        headers extra: HTTPFields = [:]) async throws -> Reply
    {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        } else if let raw {
            body = ByteBuffer(string: raw)
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    func login(_ email: String, _ password: String, tenant: String? = nil) async throws -> String {
        var body: [String: Any] = ["email": email, "password": password]
        if let tenant { body["tenant"] = tenant }
        let reply = try await request(.post, "/api/v1/auth/login", json: body)
        guard reply.status == .ok, let token = reply.string("token") else {
            throw HarnessError.unexpected("login \(email): \(reply.status) \(reply.text)")
        }
        return token
    }

    enum HarnessError: Error { case unexpected(String) }
}

/// Collects every log line so tests can assert that secrets never reach the logs.
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var all: [String] { lines.withLockedValue { $0 } }

    func handler(label: String) -> any LogHandler { Handler(capture: self) }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.lines.withLockedValue { $0.append("\(event.level) \(event.message) \(merged)") }
        }
    }
}
