import Foundation
import NIOCore
import PostgresNIO

extension PostgresRandomAccessRow {
    /// Decodes the named column.
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}

extension PostgresRowSequence {
    /// Collects every row into random-access rows decoded by `transform`.
    func all<T>(_ transform: (PostgresRandomAccessRow) throws -> T) async throws -> [T] {
        var result: [T] = []
        for try await row in self {
            result.append(try transform(row.makeRandomAccess()))
        }
        return result
    }

    func first<T>(_ transform: (PostgresRandomAccessRow) throws -> T) async throws -> T? {
        for try await row in self {
            return try transform(row.makeRandomAccess())
        }
        return nil
    }
}

extension RoutingConfig: PostgresCodable {}

extension Array where Element == UInt8 {
    /// `bytea` bind for hashes.
    var byteBuffer: ByteBuffer { ByteBuffer(bytes: self) }
}

/// Builds a query with a variable WHERE clause: SQL text with `$n` placeholders plus binds,
/// so optional filters never need string concatenation of values.
struct QueryBuilder {
    private(set) var sql: String
    private(set) var binds = PostgresBindings()

    init(_ sql: String) {
        self.sql = sql
    }

    /// Appends raw SQL that we wrote (never caller input).
    mutating func append(_ fragment: String) {
        sql += fragment
    }

    /// Appends a bind and returns its placeholder (`$3`).
    mutating func bind<Value: PostgresEncodable & Sendable>(_ value: Value) -> String {
        try! binds.append(value)  // Encoding our own scalar values into a buffer cannot fail.
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
