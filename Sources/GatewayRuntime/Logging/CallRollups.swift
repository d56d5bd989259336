import Foundation
import NIOCore

/// Per-minute aggregates of a batch of call records (by API, application and status), written in
/// the same transaction as the records so analytics and the log always agree.
struct CallRollups {
    /// Upper bounds (ms) of the latency histogram; must equal `portico_latency_bounds()` in SQL.
    static let bounds: [Double] = [1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000]

    struct Key: Hashable {
        var minute: Int64
        var tenant: String
        var api: String
        var application: String
        var status: Int
    }

    struct Value {
        var requests: Int64 = 0
        var totalMs: Double = 0
        var bytesOut: Int64 = 0
        var histogram = [Int64](repeating: 0, count: CallRollups.bounds.count + 1)
    }

    private(set) var rows: [Key: Value] = [:]

    init(_ records: [CallRecord]) {
        for record in records {
            guard let tenant = record.tenantID, let api = record.apiID else { continue }
            let key = Key(minute: Int64(record.timestamp) / 60, tenant: tenant, api: api, application: record.applicationID ?? "00000000-0000-0000-0000-000000000000", status: record.status)
            var value = rows[key] ?? Value()
            value.requests += 1
            value.totalMs += record.totalMs
            value.bytesOut += record.bytesOut
            var bucket = 0
            while bucket < Self.bounds.count && record.totalMs > Self.bounds[bucket] { bucket += 1 }
            value.histogram[bucket] += 1
            rows[key] = value
        }
    }

    var isEmpty: Bool { rows.isEmpty }

    /// Columns for `unnest(...)`.
    var columns: (buckets: [Date], tenants: [String], apis: [String], applications: [String], statuses: [Int], requests: [Int64], totals: [Double], bytes: [Int64], histograms: [String]) {
        var result: ([Date], [String], [String], [String], [Int], [Int64], [Double], [Int64], [String]) = ([], [], [], [], [], [], [], [], [])
        for (key, value) in rows {
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
