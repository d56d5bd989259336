import Foundation

/// One page of a keyset-paginated list. `nextCursor` is nil on the last page.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    public func map<T: Sendable>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), nextCursor: nextCursor)
    }
}

/// Page size and position requested by a caller.
public struct PageRequest: Sendable {
    public static let defaultLimit = 20
    public static let maxLimit = 100

    public var limit: Int
    public var cursor: Cursor?

    public init(limit: Int = PageRequest.defaultLimit, cursor: Cursor? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    /// Validates caller input (`limit` 1…100, a cursor this server issued).
    public static func parse(limit: Int?, cursor: String?) throws -> PageRequest {
        var validator = Validator()
        let limit = limit ?? defaultLimit
        validator.check((1...maxLimit).contains(limit), "limit", "must be between 1 and \(maxLimit)")
        var decoded: Cursor?
        if let cursor, !cursor.isEmpty {
            decoded = Cursor(encoded: cursor)
            validator.check(decoded != nil, "cursor", "is not a cursor returned by this API")
        }
        try validator.finish()
        return PageRequest(limit: limit, cursor: decoded)
    }

    /// Trims the one extra row fetched to detect a further page and builds the cursor from the last item.
    public func page<Item: Sendable>(_ rows: [Item], cursor: (Item) -> Cursor) -> Page<Item> {
        guard rows.count > limit else { return Page(items: rows, nextCursor: nil) }
        let items = Array(rows.prefix(limit))
        return Page(items: items, nextCursor: items.last.map { cursor($0).encoded })
    }
}

/// An opaque keyset position: the sort key and the id of the last row seen.
public struct Cursor: Sendable, Equatable {
    public var key: String
    public var id: String

    public init(key: String, id: String) {
        self.key = key
        self.id = id
    }

    /// A position in a list ordered by time-ordered (v7) id alone.
    public init(id: UUID) {
        self.init(key: "", id: id.uuidString)
    }

    public init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        guard encoded.count <= 512, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            let separator = text.firstIndex(of: "\u{1F}")
        else { return nil }
        key = String(text[..<separator])
        id = String(text[text.index(after: separator)...])
    }

    public var encoded: String {
        Data((key + "\u{1F}" + id).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public var uuid: UUID? { UUID(uuidString: id) }
}
