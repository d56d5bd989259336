import Crypto
import NIOCore
import Foundation

/// Call logs kept on disk while PostgreSQL is down: one file per batch, named by time so replay
/// keeps the order, written to a temporary name and renamed (a file is whole or absent).
///
/// A `.batch` file is one JSON line (row count, days, rollups) followed by the rows in COPY text,
/// exactly as they will be sent. `.jsonl` files (one JSON call record per line) are what earlier
/// versions spooled; they are still replayed.
struct SpoolDirectory: Sendable {
    let path: String
    let gatewayID: String

    /// A spool file that cannot be decoded.
    struct Unreadable: Error {
        var reason: String
    }

    private struct Header: Codable {
        /// Absent in files of earlier versions: those get an id derived from the file (`batchID`).
        var id: UUID?
        var rows: Int
        var days: [Int64]
        var rollups: CallRollups
    }

    init(path: String, gatewayID: String) {
        self.path = path
        self.gatewayID = gatewayID
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var hasFiles: Bool { !files().isEmpty }

    func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".batch") || $0.hasSuffix(".jsonl") }.sorted()
    }

    func append(_ batch: CallLogBatch) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var data = try JSONEncoder().encode(Header(id: batch.id, rows: batch.rows, days: batch.days.sorted(), rollups: batch.rollups))
        data.append(0x0A)
        batch.text.withUnsafeReadableBytes { data.append(contentsOf: $0) }
        let name = String(format: "%020.0f-%08x.batch", Date().timeIntervalSince1970 * 1_000_000, UInt32.random(in: 0...UInt32.max))
        let temporary = (path as NSString).appendingPathComponent("." + name + ".tmp")
        try data.write(to: URL(fileURLWithPath: temporary))
        // On disk before it has its name, and the name on disk too: after a power loss a file is whole or absent.
        Self.sync(temporary)
        guard rename(temporary, (path as NSString).appendingPathComponent(name)) == 0 else { throw CocoaError(.fileWriteUnknown) }
        Self.sync(path)
    }

    private static func sync(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// The batches of one file. Throws `Unreadable` for a file that can never be replayed.
    func read(_ file: String) throws -> [CallLogBatch] {
        let data = try Data(contentsOf: URL(fileURLWithPath: (path as NSString).appendingPathComponent(file)))
        if file.hasSuffix(".jsonl") { return try readRecords(data, file: file) }
        guard let newline = data.firstIndex(of: 0x0A) else { throw Unreadable(reason: "no header line") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data[data.startIndex..<newline])
        } catch {
            throw Unreadable(reason: "header: \(error)")
        }
        let rows = data[(newline + 1)...]
        // A cut file would fail its COPY on every replay (or silently lose rows its rollups still count).
        guard rows.last == 0x0A || rows.isEmpty, rows.reduce(0, { $0 + ($1 == 0x0A ? 1 : 0) }) == header.rows else {
            throw Unreadable(reason: "expected \(header.rows) complete rows")
        }
        var text = ByteBuffer()
        text.writeBytes(rows)
        return [CallLogBatch(id: header.id ?? Self.batchID(file: file, index: 0), text: text, rows: header.rows, days: Set(header.days), rollups: header.rollups)]
    }

    /// Files of earlier versions: one JSON call record per line.
    private func readRecords(_ data: Data, file: String) throws -> [CallLogBatch] {
        let decoder = JSONDecoder()
        var batches: [CallLogBatch] = []
        var batch = CallLogBatch()
        for line in data.split(separator: 0x0A) {
            let record: SpooledCallRecord
            do {
                record = try decoder.decode(SpooledCallRecord.self, from: Data(line))
            } catch {
                throw Unreadable(reason: "record: \(error)")
            }
            batch.append(record.callRecord, gatewayID: gatewayID)
            if batch.rows >= CallLogBatch.targetRows {
                batches.append(batch.withID(Self.batchID(file: file, index: batches.count)))
                batch = CallLogBatch()
            }
        }
        if !batch.isEmpty { batches.append(batch.withID(Self.batchID(file: file, index: batches.count))) }
        return batches
    }

    /// The id of a batch in a file that carries none (files of earlier versions): derived from
    /// the file's name and the batch's place in it, so every reading gives the same id and a
    /// replay that committed before its answer came is not written twice.
    static func batchID(file: String, index: Int) -> UUID {
        var bytes = Array(SHA256.hash(data: Array("\(file)#\(index)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5 layout (name-based)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// Whether the file is gone.
    @discardableResult
    func remove(_ file: String) -> Bool {
        (try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(file))) != nil
    }

    /// Renames a file that cannot be replayed so later files are not blocked by it.
    func setAside(_ file: String) {
        let from = (path as NSString).appendingPathComponent(file)
        _ = rename(from, from + ".unreadable")
    }
}

/// The JSON shape of a call record in `.jsonl` spool files of earlier versions.
private struct SpooledCallRecord: Decodable {
    var timestamp: Double
    var requestID: String
    var tenantID: String?
    var apiID: String?
    var versionID: String?
    var applicationID: String?
    var subscriptionID: UUID?
    var keyPrefix: String?
    var method: String
    var path: String
    var status: Int
    var upstreamTarget: String?
    var attempts: Int
    var bytesIn: Int64
    var bytesOut: Int64
    var totalMs: Double
    var upstreamMs: Double?
    var clientIP: String?
    var userAgent: String?
    var errorKind: String?

    var callRecord: CallRecord {
        CallRecord(
            timestamp: timestamp, requestID: .text(requestID), tenantID: tenantID.flatMap(UUID.init(uuidString:)),
            apiID: apiID.flatMap(UUID.init(uuidString:)), versionID: versionID.flatMap(UUID.init(uuidString:)),
            applicationID: applicationID.flatMap(UUID.init(uuidString:)),
            subscriptionID: subscriptionID, keyPrefix: keyPrefix, method: ByteBuffer(string: method), path: ByteBuffer(string: path), status: status,
            upstreamTarget: upstreamTarget, attempts: attempts, bytesIn: bytesIn, bytesOut: bytesOut, totalMs: totalMs, upstreamMs: upstreamMs,
            clientIP: clientIP, userAgent: userAgent.map { ByteBuffer(string: $0) }, errorKind: errorKind)
    }
}
