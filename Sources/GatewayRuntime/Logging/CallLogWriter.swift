import NIOCore
import NIOConcurrencyHelpers
import Domain
import Atomics
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Drains the call-log buffer into the day-partitioned `call_logs` table with COPY, in batches.
/// While PostgreSQL is unreachable, batches are appended to spool files and replayed, oldest
/// first, once it is back. Retention drops partitions older than the configured days. At
/// shutdown everything still buffered is written (or spooled).
struct CallLogWriter: Service {
    let shared: GatewayShared
    let client: PostgresClient
    let spool: SpoolDirectory
    let logger: Logger
    var interval: Duration { .milliseconds(Int64(shared.settings.logFlushMs)) }

    func run() async throws {
        var state = WriterState(spoolMayHaveFiles: spool.hasFiles)
        await withDiscardingTaskGroup { group in
            // Partition upkeep runs beside the writer, so a slow or absent database never delays writing or spooling.
            group.addTask {
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    await maintain()
                    try? await Task.sleep(for: .seconds(600))
                }
            }
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let started = ContinuousClock.now
                await writeAvailable(&state, untilEmpty: false)
                try? await Task.sleep(until: started + interval)
            }
            group.cancelAll()
        }
        // Final flush: whatever is still buffered goes to the database or the spool.
        await writeAvailable(&state, untilEmpty: true)
    }

    struct WriterState {
        var knownPartitions: Set<Int64> = []
        /// Only this writer adds spool files; listing the directory is needed only after it did (or at start).
        var spoolMayHaveFiles: Bool
        /// Files already written to the database that could not be deleted: never replayed twice.
        var committedFiles: Set<String> = []
    }

    /// Writes what is buffered, batch by batch, replaying the spool first when it has data.
    /// Unless `untilEmpty`, it stops after a batch that was not full: records keep arriving while
    /// a batch is written, and chasing them would send a tiny COPY per few milliseconds instead
    /// of one per interval (measured: 200 transactions a second instead of 5 at 20k requests/s).
    ///
    /// While spool files exist (the database was away), what is buffered goes to disk first: an
    /// attempt to reach a database that is gone can wait for its whole deadline, and at tens of
    /// thousands of calls a second memory would fill (and drop records) meanwhile.
    func writeAvailable(_ state: inout WriterState, untilEmpty: Bool) async {
        if state.spoolMayHaveFiles {
            spoolBuffered(&state)
            guard await replaySpool(&state) else { return }
            state.spoolMayHaveFiles = false
        }
        while let batch = shared.logs.drain() {
            do {
                // 2 s: a COPY of two batches takes well under a second; when PostgreSQL has just gone,
                // this wait is how long nothing drains the buffer (5 s at 43,000 calls a second
                // overfilled its 200,000 records). A batch that merely ran late is spooled and
                // replayed, and its id keeps it from being written twice.
                try await insert(batch, knownPartitions: &state.knownPartitions, deadline: .seconds(2))
                shared.metrics.logsWritten.wrappingIncrement(by: batch.rows, ordering: .relaxed)
                if !untilEmpty && batch.rows < CallLogBatch.targetRows { return }
            } catch {
                logger.warning("Call logs cannot be written; spooling to disk", metadata: ["error": "\(String(describing: error))"])
                spoolBatch(batch, &state)
                spoolBuffered(&state)
                return
            }
        }
    }

    /// Spools what is buffered now. Like writing, it stops after a batch that was not full:
    /// during an outage records keep arriving, and chasing them would write a tiny file per pass
    /// and never get back to trying the database.
    private func spoolBuffered(_ state: inout WriterState) {
        while let batch = shared.logs.drain() {
            spoolBatch(batch, &state)
            if batch.rows < CallLogBatch.targetRows { return }
        }
    }

    private func spoolBatch(_ batch: CallLogBatch, _ state: inout WriterState) {
        do {
            try spool.append(batch)
            state.spoolMayHaveFiles = true
            shared.metrics.logsSpooled.wrappingIncrement(by: batch.rows, ordering: .relaxed)
        } catch {
            // The disk failed too: these records are lost, and counted as dropped.
            shared.logs.dropped.wrappingIncrement(by: batch.rows, ordering: .relaxed)
            logger.error("Call logs dropped: spool write failed", metadata: ["error": "\(error)", "records": "\(batch.rows)"])
        }
    }

    /// Replays spool files oldest first, until none is left; a file is deleted only after its
    /// records are committed. Records arriving meanwhile are spooled behind them whenever a
    /// batch's worth is buffered, so a long replay after an outage never fills memory.
    private func replaySpool(_ state: inout WriterState) async -> Bool {
        // While the database is away, an attempt to replay waits out its whole deadline, and
        // calls keep arriving meanwhile (120,000 in 3 s at 40,000 a second: the buffer filled and
        // dropped). A short probe first keeps that wait to half a second.
        guard await databaseAnswers() else { return false }
        while let file = spool.files().first(where: { !state.committedFiles.contains($0) }) {
            if shared.logs.count >= CallLogBatch.targetRows { spoolBuffered(&state) }
            do {
                let batches = try spool.read(file)
                var records = 0
                var committedBefore = 0
                for batch in batches {
                    if try await insert(batch, knownPartitions: &state.knownPartitions, deadline: .seconds(3)) {
                        records += batch.rows
                    } else {
                        // Committed by the attempt that then spooled it (its answer was lost or came
                        // after the deadline): written once, and not counted as written until now.
                        committedBefore += batch.rows
                    }
                }
                // Written: drop the file. A crash between COPY and this line replays the file once more,
                // which its batch ids turn into no writes.
                if !spool.remove(file) {
                    logger.error("Replayed spool file cannot be deleted; it will not be replayed again", metadata: ["file": "\(file)"])
                    state.committedFiles.insert(file)
                }
                shared.metrics.logsReplayed.wrappingIncrement(by: records, ordering: .relaxed)
                shared.metrics.logsWritten.wrappingIncrement(by: records + committedBefore, ordering: .relaxed)
                logger.info("Replayed spooled call logs", metadata: ["records": "\(records)", "committedBefore": "\(committedBefore)"])
            } catch let error as SpoolDirectory.Unreadable {
                // A damaged file would block every later one: set it aside, keep it for inspection.
                logger.error("Spooled call logs cannot be read; file set aside", metadata: ["file": "\(file)", "error": "\(error.reason)"])
                spool.setAside(file)
            } catch {
                return false
            }
        }
        return true
    }

    /// One COPY with its rollups and the batch's id in one transaction. `deadline` bounds the
    /// whole of it (waiting for a connection included), which bounds how long the writer is away
    /// from the buffer. Returns false when the batch had been committed before (a replay after a
    /// COMMIT whose answer was lost): nothing is written twice.
    @discardableResult
    func insert(_ batch: CallLogBatch, knownPartitions: inout Set<Int64>, deadline: Duration) async throws -> Bool {
        guard !batch.isEmpty else { return true }
        let client = client
        let logger = logger
        for day in batch.days where !knownPartitions.contains(day) {
            let date = Date(timeIntervalSince1970: TimeInterval(day * 86_400))
            _ = try await withDeadline(.seconds(3)) {
                try await client.query("SELECT portico_ensure_call_log_partition(\(date)::date)", logger: logger)
            }
            knownPartitions.insert(day)
        }
        let payload = batch.text
        let rollups = batch.rollups.columns
        let id = batch.id
        return try await withDeadline(deadline) {
            try await client.withConnection { connection in
                // Records, their rollups and the batch's id commit together: a replayed batch never counts twice.
                try await connection.query("BEGIN", logger: logger)
                do {
                    let fresh = try await connection.query(
                        "INSERT INTO call_log_batches (id) VALUES (\(id)) ON CONFLICT (id) DO NOTHING RETURNING id", logger: logger
                    ).collect()
                    guard !fresh.isEmpty else {
                        try await connection.query("ROLLBACK", logger: logger)
                        return false
                    }
                    try await connection.copyFrom(table: "call_logs", columns: CopyText.columns, logger: logger) { writer in
                        try await writer.write(payload)
                    }
                    if !rollups.buckets.isEmpty {
                        try await connection.query(
                            """
                            SELECT portico_add_call_rollups(
                                \(rollups.buckets)::timestamptz[], \(rollups.tenants)::uuid[], \(rollups.apis)::uuid[],
                                \(rollups.applications)::uuid[], \(rollups.statuses)::int8[]::smallint[], \(rollups.requests)::int8[],
                                \(rollups.totals)::float8[], \(rollups.bytes)::int8[], \(rollups.histograms)::text[])
                            """, logger: logger)
                    }
                    try await connection.query("COMMIT", logger: logger)
                    return true
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    private func databaseAnswers() async -> Bool {
        let client = client
        let logger = logger
        do {
            try await withDeadline(.milliseconds(500)) { _ = try await client.query("SELECT 1", logger: logger).collect() }
            return true
        } catch {
            return false
        }
    }

    private func maintain() async {
        let keepFrom = Date().addingTimeInterval(-Double(shared.settings.logRetentionDays) * 86_400)
        let keepRollupsFrom = Date().addingTimeInterval(-Double(shared.settings.rollupRetentionDays) * 86_400)
        let client = client
        let logger = logger
        do {
            try await withDeadline(.seconds(10)) {
                try await client.query("SELECT portico_ensure_call_log_partition((now() AT TIME ZONE 'UTC')::date + 1)", logger: logger)
                try await client.query("SELECT portico_drop_call_log_partitions(\(keepFrom)::date)", logger: logger)
                // Ids guard replays, which follow an outage within minutes or hours; two days bound the
                // table (about 430,000 ids a day under constant traffic, five batches a second).
                try await client.query("DELETE FROM call_log_batches WHERE committed_at < now() - interval '2 days'", logger: logger)
                try await client.query("SELECT portico_drop_call_rollups(\(keepRollupsFrom))", logger: logger)
                // Tombstones for incremental config loads (sql/0006_config_changes.sql); every gateway reads afresh far more often.
                try await client.query("DELETE FROM config_removals WHERE removed_at < now() - interval '1 day'", logger: logger)
            }
        } catch {
            logger.debug("Call log maintenance skipped", metadata: ["error": "\(String(describing: error))"])
        }
    }
}

