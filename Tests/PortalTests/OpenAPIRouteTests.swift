import Configuration
import Domain
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import Portal

/// The OpenAPI document and the router must describe the same API.
@Suite struct OpenAPIRouteTests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() throws {
        let configuration = PostgresClient.Configuration(host: "127.0.0.1", username: "unused", password: nil, database: nil, tls: .disable)
        let database = Database(client: PostgresClient(configuration: configuration), logger: Logger(label: "unused"))
        let services = Services(database: database, hasher: PasswordHasher(cost: 4), sessionLifetime: 60, maxFailedLogins: 5)
        let router = buildRouter(services: services, settings: PortalSettings(reader: ConfigReader(provider: InMemoryProvider(values: [:]))))

        let routed = Set(
            router.routes.map { "\($0.method.rawValue) \($0.path.description)" }.filter { $0.contains(" /api/v1/") }
                .map { $0.replacingOccurrences(of: "/api/v1", with: "") })
        let paths = try #require(PortalOpenAPI.document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })

        #expect(routed.subtracting(documented).sorted() == [], "routed but not documented")
        #expect(documented.subtracting(routed).sorted() == [], "documented but not routed")
        #expect(routed.count > 60)
    }

    /// Found by schemathesis: requests its schemas called valid that the portal refuses. A version's
    /// name cannot be edited, a routing needs 1-64 targets, and an optional date is a date or null
    /// (as a type list, `["string", "null"]`, generators dropped the format and sent "").
    @Test func requestSchemasAreNoLooserThanTheValidation() throws {
        let components = try #require(PortalOpenAPI.document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: [String: Any]])
        let update = try #require(schemas["UpdateVersionRequest"]?["properties"] as? [String: Any])
        #expect(update["version"] == nil)
        #expect(update["basePath"] != nil)
        let routing = try #require(schemas["RoutingConfig"]?["properties"] as? [String: [String: Any]])
        #expect(routing["targets"]?["minItems"] as? Int == 1)
        #expect(routing["targets"]?["maxItems"] as? Int == 64)
        let token = try #require(schemas["CreateTokenRequest"]?["properties"] as? [String: [String: Any]])
        let expiresAt = try #require(token["expiresAt"]?["anyOf"] as? [[String: Any]])
        #expect(expiresAt.first?["format"] as? String == "date-time")
        #expect(expiresAt.last?["type"] as? String == "null")
    }

    @Test func documentIsValidJSONWithUniqueOperationIds() throws {
        let json = try JSONSerialization.jsonObject(with: Data(PortalOpenAPI.documentData)) as? [String: Any]
        #expect(json?["openapi"] as? String == "3.1.0")
        let paths = try #require(json?["paths"] as? [String: [String: Any]])
        let ids = paths.values.flatMap { $0.values.compactMap { ($0 as? [String: Any])?["operationId"] as? String } }
        #expect(Set(ids).count == ids.count)
        // Every $ref points at a defined schema or response.
        let text = String(decoding: PortalOpenAPI.documentData, as: UTF8.self)
        let components = try #require(json?["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        let responses = try #require(components["responses"] as? [String: Any])
        let regex = try NSRegularExpression(pattern: "#/components/(schemas|responses)/([A-Za-z0-9]+)")
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let kind = String(text[Range(match.range(at: 1), in: text)!])
            let name = String(text[Range(match.range(at: 2), in: text)!])
            #expect((kind == "schemas" ? schemas[name] : responses[name]) != nil, "dangling reference \(kind)/\(name)")
        }
    }
}
