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

    /// Validates caller input (`limit` 1…100; a cursor is the id of the last item seen: a UUID,
    /// or a number for the audit trail).
    public static func parse(limit: Int?, cursor: String?) throws -> PageRequest {
        var validator = Validator()
        let limit = limit ?? defaultLimit
        validator.check((1...maxLimit).contains(limit), "limit", "must be between 1 and \(maxLimit)")
        var decoded: Cursor?
        if let cursor {
            decoded = Cursor(encoded: cursor)
            validator.check(decoded != nil, "cursor", "must be the nextCursor of a previous page")
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

/// A keyset position: the id of the last item seen. Lists are ordered by time-ordered (v7)
/// UUIDs or sequence numbers, so the id alone says where to continue; the catalog, ordered by
/// name, looks the name up from the id.
public struct Cursor: Sendable, Equatable {
    public var id: String

    public init(id: UUID) {
        self.id = id.uuidString.lowercased()
    }

    public init(sequence: Int64) {
        self.id = String(sequence)
    }

    public init?(encoded: String) {
        guard UUID(uuidString: encoded) != nil || (encoded.count <= 18 && !encoded.isEmpty && encoded.allSatisfy(\.isASCII) && Int64(encoded) != nil)
        else { return nil }
        id = encoded
    }

    public var encoded: String { id }
    public var uuid: UUID? { UUID(uuidString: id) }
    public var sequence: Int64? { Int64(id) }
}
