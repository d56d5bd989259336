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
    let interval: Duration = .milliseconds(200)

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
                await writeAvailable(&state)
                try? await Task.sleep(until: started + interval)
            }
            group.cancelAll()
        }
        // Final flush: whatever is still buffered goes to the database or the spool.
        await writeAvailable(&state)
    }

    struct WriterState {
        var knownPartitions: Set<Int64> = []
        /// Only this writer adds spool files; listing the directory is needed only after it did (or at start).
        var spoolMayHaveFiles: Bool
    }

    /// Writes everything buffered (batch by batch), replaying the spool first when it has data.
    func writeAvailable(_ state: inout WriterState) async {
        if state.spoolMayHaveFiles {
            guard await replaySpool(knownPartitions: &state.knownPartitions) else {
                spoolBuffered(&state)
                return
            }
            state.spoolMayHaveFiles = false
        }
        while let batch = shared.logs.drain() {
            do {
                try await insert(batch, knownPartitions: &state.knownPartitions)
                shared.metrics.logsWritten.wrappingIncrement(by: batch.rows, ordering: .relaxed)
            } catch {
                logger.warning("Call logs cannot be written; spooling to disk", metadata: ["error": "\(String(describing: error))"])
                spoolBatch(batch, &state)
                spoolBuffered(&state)
                return
            }
        }
    }

    private func spoolBuffered(_ state: inout WriterState) {
        while let batch = shared.logs.drain() { spoolBatch(batch, &state) }
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

    /// Replays spool files oldest first; a file is deleted only after its records are committed.
    private func replaySpool(knownPartitions: inout Set<Int64>) async -> Bool {
        for file in spool.files() {
            do {
                let batches = try spool.read(file)
                for batch in batches { try await insert(batch, knownPartitions: &knownPartitions) }
                // Written: drop the file. A crash between COPY and this line replays the file once more.
                spool.remove(file)
                let records = batches.reduce(0) { $0 + $1.rows }
                shared.metrics.logsReplayed.wrappingIncrement(by: records, ordering: .relaxed)
                shared.metrics.logsWritten.wrappingIncrement(by: records, ordering: .relaxed)
                logger.info("Replayed spooled call logs", metadata: ["records": "\(records)"])
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

    private func insert(_ batch: CallLogBatch, knownPartitions: inout Set<Int64>) async throws {
        guard !batch.isEmpty else { return }
        let client = client
        let logger = logger
        for day in batch.days where !knownPartitions.contains(day) {
            let date = Date(timeIntervalSince1970: TimeInterval(day * 86_400))
            try await withDeadline(.seconds(3)) {
                try await client.query("SELECT portico_ensure_call_log_partition(\(date)::date)", logger: logger)
            }
            knownPartitions.insert(day)
        }
        let payload = batch.text
        let rollups = batch.rollups.columns
        try await withDeadline(.seconds(10)) {
            try await client.withConnection { connection in
                // Records and their rollups commit together: a replayed batch never counts twice.
                try await connection.query("BEGIN", logger: logger)
                do {
                    try await connection.copyFrom(table: "call_logs", columns: CopyText.columns, logger: logger) { writer in
                        try await writer.write(payload)
                    }
                    if !rollups.buckets.isEmpty {
                        try await connection.query(
                            """
                            SELECT portico_add_call_rollups(
                                \(rollups.buckets)::timestamptz[], \(rollups.tenants)::text[]::uuid[], \(rollups.apis)::text[]::uuid[],
                                \(rollups.applications)::text[]::uuid[], \(rollups.statuses)::int8[]::smallint[], \(rollups.requests)::int8[],
                                \(rollups.totals)::float8[], \(rollups.bytes)::int8[], \(rollups.histograms)::text[])
                            """, logger: logger)
                    }
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
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
                try await client.query("SELECT portico_drop_call_rollups(\(keepRollupsFrom))", logger: logger)
            }
        } catch {
            logger.debug("Call log maintenance skipped", metadata: ["error": "\(String(describing: error))"])
        }
    }
}

/// Rows of `COPY … FROM STDIN` (text format): tab-separated, `\N` for NULL, backslash escapes.
/// Written byte by byte into one buffer without intermediate strings: the log writer shares the
/// gateway's CPU with request handling.
enum CopyText {
    static let columns = [
        "ts", "request_id", "tenant_id", "api_id", "api_version_id", "application_id", "subscription_id", "key_prefix", "method", "path",
        "status", "upstream_target", "attempts", "bytes_in", "bytes_out", "total_ms", "upstream_ms", "client_ip", "user_agent", "error_kind",
        "gateway_id",
    ]

    static func append(_ r: CallRecord, gatewayID: String, to buffer: inout ByteBuffer) {
        timestamp(r.timestamp, &buffer)
        field(r.requestID, &buffer)
        field(r.tenantID, &buffer)
        field(r.apiID, &buffer)
        field(r.versionID, &buffer)
        field(r.applicationID, &buffer)
        if let subscription = r.subscriptionID {
            buffer.writeInteger(UInt8(0x09))
            buffer.writeUUID(subscription)
        } else {
            null(&buffer)
        }
        field(r.keyPrefix, &buffer)
        text(r.method, maxCharacters: 64, &buffer)
        text(r.path, maxCharacters: 2048, &buffer)
        integer(Int64(r.status), &buffer)
        field(r.upstreamTarget, &buffer)
        integer(Int64(r.attempts), &buffer)
        integer(r.bytesIn, &buffer)
        integer(r.bytesOut, &buffer)
        milliseconds(r.totalMs, &buffer)
        if let upstream = r.upstreamMs { milliseconds(upstream, &buffer) } else { null(&buffer) }
        field(r.clientIP, &buffer)
        text(r.userAgent, maxCharacters: 512, &buffer)
        field(r.errorKind, &buffer)
        field(gatewayID, &buffer)
        buffer.writeInteger(UInt8(0x0A))
    }

    @inline(__always)
    private static func null(_ buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0x09))
        buffer.writeStaticString("\\N")
    }

    private static func field(_ value: String?, _ buffer: inout ByteBuffer) {
        guard var text = value else { return null(&buffer) }
        buffer.writeInteger(UInt8(0x09))
        text.withUTF8 { bytes in
            // Most values need no escaping: copy them whole.
            if !bytes.contains(where: { $0 == 0x5C || $0 < 0x20 }) {
                buffer.writeBytes(bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case 0x5C: buffer.writeStaticString("\\\\")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x00: continue
                default: buffer.writeInteger(byte)
                }
            }
        }
    }

    /// Bytes as the client sent them: copied whole when they are short printable ASCII without
    /// backslashes (the usual case); otherwise decoded as UTF-8 (invalid sequences replaced, so
    /// one bad byte cannot fail a whole COPY), cut to `maxCharacters` and escaped.
    private static func text(_ value: ByteBuffer?, maxCharacters: Int, _ buffer: inout ByteBuffer) {
        guard let value else { return null(&buffer) }
        let plain = value.readableBytes <= maxCharacters
            && value.withUnsafeReadableBytes { bytes in !bytes.contains { $0 < 0x20 || $0 >= 0x7F || $0 == 0x5C } }
        if plain {
            buffer.writeInteger(UInt8(0x09))
            buffer.writeImmutableBuffer(value)
        } else {
            let decoded = value.withUnsafeReadableBytes { String(decoding: $0, as: UTF8.self) }
            field(String(decoded.prefix(maxCharacters)), &buffer)
        }
    }

    private static func integer(_ value: Int64, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0x09))
        buffer.writeDecimal(value)
    }

    /// Milliseconds with three decimals.
    private static func milliseconds(_ value: Double, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0x09))
        let micros = Int64((max(0, value) * 1000).rounded())
        buffer.writeDecimal(micros / 1000)
        buffer.writeInteger(UInt8(ascii: "."))
        buffer.writeDecimal(micros % 1000, minimumWidth: 3)
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, which PostgreSQL reads as timestamptz.
    private static func timestamp(_ seconds: Double, _ buffer: inout ByteBuffer) {
        let whole = Int64(seconds.rounded(.down))
        let micros = min(999_999, Int64(((seconds - Double(whole)) * 1_000_000).rounded()))
        let day = CalendarPeriod.day(unixSeconds: whole)
        let (y, m, d) = CalendarPeriod.civil(fromDays: day)
        let s = whole - day * 86_400
        buffer.writeDecimal(y, minimumWidth: 4)
        buffer.writeInteger(UInt8(ascii: "-"))
        buffer.writeDecimal(m, minimumWidth: 2)
        buffer.writeInteger(UInt8(ascii: "-"))
        buffer.writeDecimal(d, minimumWidth: 2)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeDecimal(s / 3600, minimumWidth: 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        buffer.writeDecimal(s / 60 % 60, minimumWidth: 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        buffer.writeDecimal(s % 60, minimumWidth: 2)
        buffer.writeInteger(UInt8(ascii: "."))
        buffer.writeDecimal(micros, minimumWidth: 6)
        buffer.writeStaticString("+00")
    }

    /// The timestamp text alone (tests).
    static func timestamp(_ seconds: Double) -> String {
        var buffer = ByteBuffer()
        timestamp(seconds, &buffer)
        return String(buffer: buffer)
    }
}
