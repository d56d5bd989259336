import NIOCore
import NIOConcurrencyHelpers
import Domain
import Atomics
import Foundation

/// Call records kept on disk while PostgreSQL is down: one JSON-lines file per batch, named by
/// time so replay keeps the order.
struct SpoolDirectory: Sendable {
    let path: String

    init(path: String) {
        self.path = path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var hasFiles: Bool { !files().isEmpty }

    func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
    }

    func append(_ records: [CallRecord]) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        var data = Data()
        for record in records {
            data.append(try encoder.encode(record))
            data.append(0x0A)
        }
        let name = String(format: "%020.0f-%08x.jsonl", Date().timeIntervalSince1970 * 1_000_000, UInt32.random(in: 0...UInt32.max))
        let temporary = (path as NSString).appendingPathComponent("." + name + ".tmp")
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, (path as NSString).appendingPathComponent(name)) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func read(_ file: String) throws -> [CallRecord] {
        let data = try Data(contentsOf: URL(fileURLWithPath: (path as NSString).appendingPathComponent(file)))
        let decoder = JSONDecoder()
        return try data.split(separator: 0x0A).map { try decoder.decode(CallRecord.self, from: Data($0)) }
    }

    func remove(_ file: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(file))
    }
}
