import Foundation

/// An OpenAPI 3.0/3.1 document imported for an API version. Validation checks the structure the
/// portal renders and the gateway relies on, and names each problem by its place in the document.
public struct OpenAPIDocument: Sendable, Equatable {
    public static let maxBytes = 5 * 1024 * 1024
    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The document as compact JSON, ready to store as jsonb.
    public var json: String
    public var title: String
    public var version: String
    public var operationCount: Int

    /// Parses and validates JSON text; throws `DomainError.validation` naming every problem.
    public init(text: String, field: String = "document") throws {
        guard text.utf8.count <= Self.maxBytes else {
            throw DomainError.invalid(field, "is larger than \(Self.maxBytes / 1024 / 1024) MB")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw DomainError.invalid(field, "is not valid JSON (\(Self.describe(error)))")
        }
        guard let root = parsed as? [String: Any] else { throw DomainError.invalid(field, "must be a JSON object") }
        var validator = Validator()
        let prefix = field
        let openapi = root["openapi"] as? String
        if let openapi {
            validator.check(
                openapi.range(of: #"^3\.[01]\.\d+$"#, options: .regularExpression) != nil, "\(prefix).openapi",
                "must be an OpenAPI 3.0.x or 3.1.x version string (Swagger 2.0 is not supported)")
        } else {
            validator.add("\(prefix).openapi", "is required and must be a string such as \"3.1.0\"")
        }
        let info = root["info"] as? [String: Any]
        if info == nil { validator.add("\(prefix).info", "is required and must be an object") }
        let title = info?["title"] as? String
        let version = info?["version"] as? String
        if info != nil {
            validator.check(!(title ?? "").isEmpty, "\(prefix).info.title", "is required and must be a non-empty string")
            validator.check(version != nil, "\(prefix).info.version", "is required and must be a string")
        }
        var operations = 0
        if let rawPaths = root["paths"] {
            if let paths = rawPaths as? [String: Any] {
                for (path, rawItem) in paths.sorted(by: { $0.key < $1.key }) {
                    let pathField = "\(prefix).paths[\"\(path)\"]"
                    if !path.hasPrefix("/") { validator.add(pathField, "path must start with /") }
                    guard let item = rawItem as? [String: Any] else {
                        validator.add(pathField, "must be an object")
                        continue
                    }
                    let templated = Self.templateNames(path)
                    Self.checkParameters(item["parameters"], field: "\(pathField).parameters", templated: nil, into: &validator)
                    for (method, rawOperation) in item where Self.methods.contains(method) {
                        let operationField = "\(pathField).\(method)"
                        guard let operation = rawOperation as? [String: Any] else {
                            validator.add(operationField, "must be an object")
                            continue
                        }
                        operations += 1
                        if openapi?.hasPrefix("3.0") == true || operation["responses"] != nil {
                            if let responses = operation["responses"] as? [String: Any] {
                                for code in responses.keys where code != "default" && code.range(of: #"^[1-5]([0-9]{2}|XX)$"#, options: .regularExpression) == nil {
                                    validator.add("\(operationField).responses[\"\(code)\"]", "is not an HTTP status code, a 1XX-5XX range or 'default'")
                                }
                            } else {
                                validator.add("\(operationField).responses", "is required and must be an object")
                            }
                        }
                        Self.checkParameters(operation["parameters"], field: "\(operationField).parameters", templated: templated, into: &validator)
                        if let tags = operation["tags"], !(tags is [String]) {
                            validator.add("\(operationField).tags", "must be an array of strings")
                        }
                    }
                }
            } else {
                validator.add("\(prefix).paths", "must be an object")
            }
        } else if openapi?.hasPrefix("3.0") == true {
            validator.add("\(prefix).paths", "is required in OpenAPI 3.0")
        }
        if let components = root["components"], !(components is [String: Any]) {
            validator.add("\(prefix).components", "must be an object")
        }
        try validator.finish()
        let compact = try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes])
        self.json = String(decoding: compact, as: UTF8.self)
        self.title = title ?? ""
        self.version = version ?? ""
        self.operationCount = operations
    }

    private static func templateNames(_ path: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    private static func checkParameters(_ raw: Any?, field: String, templated: Set<String>?, into validator: inout Validator) {
        guard let raw else { return }
        guard let parameters = raw as? [Any] else { return validator.add(field, "must be an array") }
        for (index, rawParameter) in parameters.enumerated() {
            let parameterField = "\(field)[\(index)]"
            guard let parameter = rawParameter as? [String: Any] else {
                validator.add(parameterField, "must be an object")
                continue
            }
            if parameter["$ref"] != nil { continue }
            let name = parameter["name"] as? String
            let location = parameter["in"] as? String
            validator.check(!(name ?? "").isEmpty, "\(parameterField).name", "is required")
            validator.check(["query", "header", "path", "cookie"].contains(location ?? ""), "\(parameterField).in", "must be one of query, header, path, cookie")
            if location == "path" {
                validator.check(parameter["required"] as? Bool == true, "\(parameterField).required", "must be true for path parameters")
                if let templated, let name, !templated.contains(name) {
                    validator.add("\(parameterField).name", "'\(name)' does not appear in the path template")
                }
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        return (nsError.userInfo["NSDebugDescription"] as? String) ?? "parse error"
    }
}
