import NIOCore
import Foundation

/// Call records ready for `COPY call_logs FROM STDIN`: their rows already in COPY text, the days
/// they fall on (for partitions) and their per-minute rollups. Rows are formatted when a call
/// ends, on its event loop, so the writer only hands bytes to PostgreSQL and the request path
/// keeps no per-call objects alive.
struct CallLogBatch {
    /// Recorded with the rows when they commit (`call_log_batches`), so a replay of a batch whose
    /// commit went through unacknowledged is skipped. A merge keeps the receiver's id: only the
    /// merged batch is ever written or spooled.
    private(set) var id = UUID()
    private(set) var text = ByteBuffer()
    private(set) var rows = 0
    private(set) var days: Set<Int64> = []
    private(set) var rollups = CallRollups()
    private var lastDay: Int64 = .min
    private var second = CopyText.SecondText()

    /// Rows at which a shard seals its batch and starts a new one. The writer merges the shards'
    /// batches into one COPY (and one transaction) of up to about twice this.
    static let targetRows = 5_000

    init() {}

    init(id: UUID = UUID(), text: ByteBuffer, rows: Int, days: Set<Int64>, rollups: CallRollups) {
        self.id = id
        self.text = text
        self.rows = rows
        self.days = days
        self.rollups = rollups
    }

    var isEmpty: Bool { rows == 0 }

    /// The same rows under another id (spool files of earlier versions, whose ids are derived).
    func withID(_ id: UUID) -> CallLogBatch {
        var copy = self
        copy.id = id
        return copy
    }

    mutating func append(_ record: CallRecord, gatewayID: String) {
        if rows == 0 { text.reserveCapacity(64 * 1024) }  // grows by doubling from there
        CopyText.append(record, gatewayID: gatewayID, to: &text, second: &second)
        rows += 1
        let day = Int64(record.timestamp.rounded(.down)) / 86_400
        if day != lastDay {
            days.insert(day)
            lastDay = day
        }
        rollups.add(record)
    }

    mutating func merge(_ other: CallLogBatch) {
        var bytes = other.text
        text.writeBuffer(&bytes)
        rows += other.rows
        days.formUnion(other.days)
        rollups.merge(other.rollups)
    }
}
