import Domain
import Foundation
import Hummingbird

/// Reading request input with the portal's rules: JSON bodies within a size limit, decoding
/// errors that name the field, ids and query parameters validated into 400 problems.
extension Request {
    static let jsonDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISO8601.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "must be an RFC 3339 date-time"))
            }
            return date
        }
        return decoder
    }()

    /// Collects the body (413 above `limit`).
    func bodyBytes(context: PortalContext, limit: Int = 1024 * 1024) async throws -> ByteBuffer {
        var request = self
        do {
            return try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem.tooLarge(limit: limit)
        }
    }

    /// Decodes a JSON body; an empty body decodes as `{}` so all-optional inputs may be omitted.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: PortalContext, limit: Int = 1024 * 1024) async throws -> T {
        if let contentType = headers[.contentType], !contentType.lowercased().hasPrefix("application/json"),
            !contentType.lowercased().contains("+json")
        {
            throw Problem.unsupportedMediaType()
        }
        let buffer = try await bodyBytes(context: context, limit: limit)
        let data = Data(buffer.readableBytesView)
        let payload = data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) ? Data("{}".utf8) : data
        do {
            return try Self.jsonDecoder.decode(T.self, from: payload)
        } catch let error as DecodingError {
            throw Self.problem(for: error)
        } catch {
            throw Problem.malformed("The body is not valid JSON.")
        }
    }

    static func problem(for error: DecodingError) -> Problem {
        func path(_ codingPath: [any CodingKey]) -> String {
            var result = ""
            for key in codingPath {
                if let index = key.intValue { result += "[\(index)]" } else { result += (result.isEmpty ? "" : ".") + key.stringValue }
            }
            return result.isEmpty ? "body" : result
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .validation([FieldError(path(context.codingPath + [key]), "is required")])
        case .typeMismatch(let type, let context):
            return .validation([FieldError(path(context.codingPath), "must be \(describe(type))")])
        case .valueNotFound(let type, let context):
            return .validation([FieldError(path(context.codingPath), "must be \(describe(type)), not null")])
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .malformed("The body is not valid JSON.") }
            return .validation([FieldError(path(context.codingPath), context.debugDescription)])
        @unknown default:
            return .malformed("The body could not be decoded.")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "a value of the documented type"
        }
    }

    // MARK: Query parameters

    func query(_ name: String) -> String? {
        uri.queryParameters.get(name)
    }

    func queryInt(_ name: String) throws -> Int? {
        guard let raw = query(name), !raw.isEmpty else { return nil }
        guard let value = Int(raw) else { throw Problem.validation([FieldError(name, "must be an integer")]) }
        return value
    }

    func queryBool(_ name: String) throws -> Bool {
        guard let raw = query(name)?.lowercased(), !raw.isEmpty else { return false }
        switch raw {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw Problem.validation([FieldError(name, "must be true or false")])
        }
    }

    func queryUUID(_ name: String) throws -> UUID? {
        guard let raw = query(name), !raw.isEmpty else { return nil }
        guard let value = UUID(uuidString: raw) else { throw Problem.validation([FieldError(name, "must be a UUID")]) }
        return value
    }

    func queryDate(_ name: String) throws -> Date? {
        guard let raw = query(name), !raw.isEmpty else { return nil }
        guard let value = ISO8601.parse(raw) else { throw Problem.validation([FieldError(name, "must be an RFC 3339 date-time")]) }
        return value
    }

    func queryEnum<T: RawRepresentable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String, T: CaseIterable {
        guard let raw = query(name), !raw.isEmpty else { return nil }
        guard let value = T(rawValue: raw) else {
            throw Problem.validation([FieldError(name, "must be one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")])
        }
        return value
    }

    func pageRequest() throws -> PageRequest {
        do {
            return try PageRequest.parse(limit: try queryInt("limit"), cursor: query("cursor"))
        } catch let error as DomainError {
            throw Problem(error)
        }
    }
}

extension PortalContext {
    /// A UUID path parameter; anything else is a 404, since no resource has that id.
    func id(_ name: String = "id", resource: String) throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else { throw Problem.notFound(resource) }
        return id
    }
}

/// RFC 3339 date-times with or without fractional seconds.
enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        guard text.count <= 64 else { return nil }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
