import Domain
import Foundation
import Testing

@Suite struct InputValidationTests {
    @Test func openAPIDocumentsAreValidatedWithFieldPaths() throws {
        let good = try OpenAPIDocument(text: #"{"openapi":"3.1.0","info":{"title":"T","version":"1"},"paths":{"/a/{id}":{"get":{"parameters":[{"name":"id","in":"path","required":true}],"responses":{"200":{"description":"ok"}}}}}}"#)
        #expect(good.operationCount == 1)
        #expect(good.title == "T")

        #expect(throws: DomainError.invalid("document", "must be a JSON object")) { try OpenAPIDocument(text: "[1]") }
        do {
            _ = try OpenAPIDocument(text: #"{"openapi":"2.0","info":{"version":"1"},"paths":{"a":{"get":{"parameters":[{"name":"x","in":"path"}]}}}}"#)
            Issue.record("expected a validation error")
        } catch DomainError.validation(let errors) {
            let fields = Set(errors.map(\.field))
            #expect(fields.contains("document.openapi"))
            #expect(fields.contains("document.info.title"))
            #expect(fields.contains(#"document.paths["a"]"#))
            #expect(fields.contains(#"document.paths["a"].get.parameters[0].required"#))
            #expect(fields.contains(#"document.paths["a"].get.parameters[0].name"#))
        }
        do {
            _ = try OpenAPIDocument(text: "{not json")
            Issue.record("expected a validation error")
        } catch DomainError.validation(let errors) {
            #expect(errors.first?.message.hasPrefix("is not valid JSON") == true)
        }
    }

    @Test func routingConfigNamesEveryBadField() {
        var validator = Validator()
        RoutingConfig(
            targets: [.init(url: "ftp://x", weight: -1), .init(url: "http://ok:8080/base", weight: 5)], connectTimeoutMs: 0, retries: 9,
            faultInjection: .init(delayPercent: 120, abortPercent: 5, abortStatus: 200), methods: ["get", "POST", "POST"]
        ).validate(into: &validator)
        let fields = Set(validator.errors.map(\.field))
        #expect(fields == [
            "routing.targets[0].url", "routing.targets[0].weight", "routing.connectTimeoutMs", "routing.retries",
            "routing.faultInjection.delayPercent", "routing.faultInjection.abortStatus", "routing.methods",
        ])
        #expect(validator.errors.filter { $0.field == "routing.methods" }.count == 2)  // lower case, and POST twice
        var empty = Validator()
        RoutingConfig(targets: [.init(url: "http://a:1")], methods: []).validate(into: &empty)
        #expect(empty.errors.map(\.field) == ["routing.methods"])
        #expect(RoutingConfig(targets: [], methods: ["GET", "POST"]).servedMethods == ["GET", "HEAD", "POST"])
        // CORS origins: what a browser sends in Origin, or * alone.
        func corsErrors(_ origins: [String], maxAge: Int = 600) -> [String] {
            var validator = Validator()
            RoutingConfig(targets: [.init(url: "http://a:1")], cors: .init(allowedOrigins: origins, maxAgeSeconds: maxAge)).validate(into: &validator)
            return validator.errors.map(\.field)
        }
        #expect(corsErrors(["https://app.example.com", "http://localhost:3000"]).isEmpty)
        #expect(corsErrors(["*"]).isEmpty)
        #expect(corsErrors(["*", "https://a.example"]) == ["routing.cors.allowedOrigins"])
        #expect(corsErrors(["https://app.example.com/"]) == ["routing.cors.allowedOrigins"])
        #expect(corsErrors(["https://App.example.com"]) == ["routing.cors.allowedOrigins"])
        #expect(corsErrors(["app.example.com"]) == ["routing.cors.allowedOrigins"])
        // Browsers leave the default port out of Origin: such an entry could never match.
        #expect(corsErrors(["https://app.example.com:443"]) == ["routing.cors.allowedOrigins"])
        #expect(corsErrors(["https://app.example.com:"]) == ["routing.cors.allowedOrigins"])
        #expect(corsErrors(["https://app.example.com:8443"]).isEmpty)
        #expect(corsErrors([]) == ["routing.cors.allowedOrigins"])
        #expect(corsErrors(["https://a.example"], maxAge: -1) == ["routing.cors.maxAgeSeconds"])
        #expect(RoutingConfig(targets: [], methods: ["POST"]).servedMethods == ["POST"])
        #expect(UpstreamURL("http://ok:8080/base/")?.pathPrefix == "/base")
        #expect(UpstreamURL("https://api.example.com")?.port == 443)
        #expect(UpstreamURL("http://user@host") == nil)
    }

    @Test func routingConfigDefaultsOmittedFields() throws {
        let config = try JSONDecoder().decode(RoutingConfig.self, from: Data(#"{"targets":[{"url":"http://a:1"}]}"#.utf8))
        #expect(config == RoutingConfig(targets: [.init(url: "http://a:1", weight: 100)]))
    }

    @Test func slugsEmailsAndTokens() {
        #expect(Validator.isSlug("echo-v2"))
        #expect(!Validator.isSlug("-echo"))
        #expect(!Validator.isSlug("Echo"))
        #expect(Validator.slugify("Echo API  v2!") == "echo-api-v2")
        #expect(Validator.slugify("!!!").hasPrefix("x-"))
        #expect(Validator.isEmail("a@b.io"))
        #expect(!Validator.isEmail("a@b"))
        let token = SecretToken.generate(prefix: "pk_")
        #expect(token.value.hasPrefix("pk_"))
        #expect(token.value.count > 40)
        #expect(token.displayPrefix.count == 11)
        #expect(token.hash == SecretToken.sha256(token.value))
        #expect(Base62.encode([0, 0, 1]) == "001")
        #expect(Base62.encode([255]) == "47")
    }

    @Test func cursorsAreIdsOnly() throws {
        #expect(try PageRequest.parse(limit: nil, cursor: nil).limit == 20)
        #expect(throws: DomainError.self) { try PageRequest.parse(limit: 0, cursor: nil) }
        #expect(throws: DomainError.self) { try PageRequest.parse(limit: 10, cursor: "zzz") }
        let id = UUID()
        #expect(try PageRequest.parse(limit: 5, cursor: id.uuidString).cursor?.uuid == id)
        #expect(try PageRequest.parse(limit: 5, cursor: "42").cursor?.sequence == 42)
    }
}
