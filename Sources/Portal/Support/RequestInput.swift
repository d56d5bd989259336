import Domain
import Foundation
import Hummingbird
import NIOCore

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
        } catch is NIOTooManyBytesError {
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
        guard let raw = query(name) else { return nil }
        guard let value = Int(raw) else { throw Problem.validation([FieldError(name, "must be an integer")]) }
        return value
    }

    func queryBool(_ name: String) throws -> Bool {
        guard let raw = query(name)?.lowercased() else { return false }
        switch raw {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw Problem.validation([FieldError(name, "must be true or false")])
        }
    }

    func queryUUID(_ name: String) throws -> UUID? {
        guard let raw = query(name) else { return nil }
        guard let value = UUID(uuidString: raw) else { throw Problem.validation([FieldError(name, "must be a UUID")]) }
        return value
    }

    func queryDate(_ name: String) throws -> Date? {
        guard let raw = query(name) else { return nil }
        guard let value = ISO8601.parse(raw) else { throw Problem.validation([FieldError(name, "must be an RFC 3339 date-time")]) }
        return value
    }

    func queryEnum<T: RawRepresentable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String, T: CaseIterable {
        guard let raw = query(name) else { return nil }
        guard let value = T(rawValue: raw) else {
            throw Problem.validation([FieldError(name, "must be one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")])
        }
        return value
    }

    /// `limit` and `cursor`; cursors are UUIDs except for sequence-numbered lists (the audit trail).
    func pageRequest(numericCursor: Bool = false) throws -> PageRequest {
        do {
            let page = try PageRequest.parse(limit: try queryInt("limit"), cursor: query("cursor"))
            if let cursor = page.cursor, (numericCursor ? cursor.sequence : cursor.uuid.map { _ in 0 }) == nil {
                throw Problem.validation([FieldError("cursor", "must be the nextCursor of a previous page")])
            }
            return page
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

/// RFC 3339 date-times (`2026-01-31T12:00:00Z`, `…T12:00:00.25+02:00`).
enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        let s = Array(text.utf8)
        guard s.count >= 20, s.count <= 40 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < s.count, s[index] >= 0x30, s[index] <= 0x39 else { return nil }
                value = value * 10 + Int(s[index] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), s[4] == 0x2D, let month = number(5..<7), s[7] == 0x2D, let day = number(8..<10),
            [0x54, 0x74, 0x20].contains(s[10]), let hour = number(11..<13), s[13] == 0x3A, let minute = number(14..<16), s[16] == 0x3A,
            let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if s[index] == 0x2E {
            index += 1
            var scale = 0.1
            let start = index
            while index < s.count, s[index] >= 0x30, s[index] <= 0x39 {
                fraction += Double(s[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < s.count else { return nil }
        var offset = 0
        if s[index] == 0x5A || s[index] == 0x7A {
            index += 1
        } else if s[index] == 0x2B || s[index] == 0x2D, let oh = number(index + 1..<index + 3), index + 3 < s.count, s[index + 3] == 0x3A,
            let om = number(index + 4..<index + 6), oh < 24, om < 60
        {
            offset = (oh * 3600 + om * 60) * (s[index] == 0x2D ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == s.count else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date.addingTimeInterval(fraction - Double(offset))
    }
}
