import Foundation
import NIOCore

/// Per-minute aggregates of call records (by API, application and status), written in the same
/// transaction as the records so analytics and the log always agree. Built as calls end; a
/// keep-alive client's calls fall into the row of the call before, which is checked first.
struct CallRollups: Codable {
    /// Upper bounds (ms) of the latency histogram; must equal `portico_latency_bounds()` in SQL.
    static let bounds: [Double] = [1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000]
    /// Calls refused before their application was known.
    static let noApplication = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// Spool files of earlier versions hold the ids as lower-case text; `UUID` decodes either case.
    struct Key: Hashable, Codable {
        var minute: Int64
        var tenant: UUID
        var api: UUID
        var application: UUID
        var status: Int
    }

    struct Value: Codable {
        var requests: Int64 = 0
        var totalMs: Double = 0
        var bytesOut: Int64 = 0
        var histogram = [Int64](repeating: 0, count: CallRollups.bounds.count + 1)

        mutating func merge(_ other: Value) {
            requests += other.requests
            totalMs += other.totalMs
            bytesOut += other.bytesOut
            for index in histogram.indices { histogram[index] += other.histogram[index] }
        }
    }

    struct Row: Codable {
        var key: Key
        var value: Value
    }

    private(set) var rows: [Row] = []
    private var index: [Key: Int] = [:]
    private var last = -1

    init() {}

    var isEmpty: Bool { rows.isEmpty }

    mutating func add(_ record: CallRecord) {
        guard let tenant = record.tenantID, let api = record.apiID else { return }
        let key = Key(minute: Int64(record.timestamp) / 60, tenant: tenant, api: api, application: record.applicationID ?? Self.noApplication, status: record.status)
        let position = row(for: key)
        var bucket = 0
        while bucket < Self.bounds.count && record.totalMs > Self.bounds[bucket] { bucket += 1 }
        rows[position].value.requests += 1
        rows[position].value.totalMs += record.totalMs
        rows[position].value.bytesOut += record.bytesOut
        rows[position].value.histogram[bucket] += 1
    }

    mutating func merge(_ other: CallRollups) {
        for row in other.rows { rows[self.row(for: row.key)].value.merge(row.value) }
    }

    private mutating func row(for key: Key) -> Int {
        if last >= 0, rows[last].key == key { return last }
        if let existing = index[key] {
            last = existing
            return existing
        }
        rows.append(Row(key: key, value: Value()))
        last = rows.count - 1
        index[key] = last
        return last
    }

    // Only the rows travel (spool files); the index is rebuilt when read back.
    enum CodingKeys: String, CodingKey { case rows }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        for row in try container.decode([Row].self, forKey: .rows) { rows[self.row(for: row.key)].value.merge(row.value) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
    }

    /// Columns for `unnest(...)`.
    var columns: (buckets: [Date], tenants: [UUID], apis: [UUID], applications: [UUID], statuses: [Int], requests: [Int64], totals: [Double], bytes: [Int64], histograms: [String]) {
        var result: ([Date], [UUID], [UUID], [UUID], [Int], [Int64], [Double], [Int64], [String]) = ([], [], [], [], [], [], [], [], [])
        for row in rows {
            let (key, value) = (row.key, row.value)
            result.0.append(Date(timeIntervalSince1970: TimeInterval(key.minute * 60)))
            result.1.append(key.tenant)
            result.2.append(key.api)
            result.3.append(key.application)
            result.4.append(key.status)
            result.5.append(value.requests)
            result.6.append(value.totalMs)
            result.7.append(value.bytesOut)
            result.8.append("{" + value.histogram.map(String.init).joined(separator: ",") + "}")
        }
        return result
    }
}
