import Configuration
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Testing
import TestSupport

@testable import GatewayRuntime

/// Exactly-once call logs across a lost COMMIT answer: PostgreSQL can commit a batch and go away
/// before the writer hears so; the writer then spools the batch, and its replay must not write
/// the rows again (`bench/gateway.sh --outage` once counted 5,000 duplicates that way).
@Suite struct CallLogReplayTests {
    @Test func aBatchCommittedBeforeIsNotWrittenAgainOnReplay() async throws {
        try await GatewayHarness.run(start: false) { h in
            let settings = GatewaySettings(reader: ConfigReader(provider: InMemoryProvider(values: h.settingsValues)))
            let shared = GatewayShared(settings: settings, pools: PoolDirectory())
            let spool = SpoolDirectory(path: h.directory.appendingPathComponent("replay-spool").path, gatewayID: "gw")
            let writer = CallLogWriter(shared: shared, client: h.database.client, spool: spool, logger: Logger(label: "test.writer"))
            var batch = CallLogBatch()
            for index in 0..<3 {
                batch.append(
                    CallRecord(
                        timestamp: Date().timeIntervalSince1970, requestID: .text("replay-\(index)"), method: ByteBuffer(string: "GET"),
                        path: ByteBuffer(string: "/replay"), status: 200, attempts: 1, bytesIn: 10, bytesOut: 20, totalMs: 1.5, clientIP: "127.0.0.1"),
                    gatewayID: "gw")
            }
            func count() async throws -> Int {
                try await h.database.client.query("SELECT count(*) FROM call_logs WHERE path = '/replay'").collect().first!.decode(Int.self)
            }

            // First write: committed (the writer may not have heard so).
            var partitions: Set<Int64> = []
            #expect(try await writer.insert(batch, knownPartitions: &partitions, deadline: .seconds(5)))
            #expect(try await count() == 3)
            // The same batch again, as a replay would send it: nothing written.
            #expect(try await writer.insert(batch, knownPartitions: &partitions, deadline: .seconds(5)) == false)

            // Through the spool, as after a lost answer: replayed, the file goes, the rows stay three.
            try spool.append(batch)
            var state = CallLogWriter.WriterState(spoolMayHaveFiles: true)
            await writer.writeAvailable(&state, untilEmpty: true)
            #expect(spool.files().isEmpty)
            #expect(try await count() == 3)
            #expect(shared.metrics.logsReplayed.load(ordering: .relaxed) == 0)
            // Committed by the attempt that spooled it, which could not count them: counted now, once.
            #expect(shared.metrics.logsWritten.load(ordering: .relaxed) == 3)

            // A different batch with the same rows is new: ids, not contents, decide.
            var other = CallLogBatch()
            other.merge(batch)
            #expect(try await writer.insert(other, knownPartitions: &partitions, deadline: .seconds(5)))
            #expect(try await count() == 6)
        }
    }

    /// Spool files of earlier versions carry no batch id: each reading must derive the same ones.
    @Test func batchesOfFilesWithoutIdsGetTheSameIdEveryTime() {
        #expect(SpoolDirectory.batchID(file: "a.jsonl", index: 0) == SpoolDirectory.batchID(file: "a.jsonl", index: 0))
        #expect(SpoolDirectory.batchID(file: "a.jsonl", index: 0) != SpoolDirectory.batchID(file: "a.jsonl", index: 1))
        #expect(SpoolDirectory.batchID(file: "a.jsonl", index: 0) != SpoolDirectory.batchID(file: "b.jsonl", index: 0))
    }
}
