import NIOCore
import Atomics
import NIOConcurrencyHelpers

/// A bounded buffer between request handling and the log writer, one shard per event loop.
/// Appending formats the row into the shard's current batch (its lock is only ever contended
/// by the writer taking a batch); it never waits for the database. When the writer falls behind
/// and a shard holds `capacity` rows, further records are dropped and counted (exported as a
/// metric), never silently lost.
final class CallLogBuffer: Sendable {
    /// Rows one shard may hold before it drops.
    let capacity: Int
    let gatewayID: String
    private let shards = NIOLockedValueBox<[Shard]>([])
    /// The shard `drain` starts with, moved on each time so no shard waits behind a busy one.
    private let nextShard = ManagedAtomic<Int>(0)
    let dropped = ManagedAtomic<Int>(0)

    /// `@unchecked`: `state` is only touched with `lock` held.
    final class Shard: @unchecked Sendable {
        private struct State {
            /// Full batches, oldest first, then the one being filled.
            var sealed: [CallLogBatch] = []
            var current = CallLogBatch()
            var rows = 0
        }

        private let lock = NIOLock()
        private var state = State()
        private let capacity: Int
        private let gatewayID: String
        private let dropped: ManagedAtomic<Int>

        fileprivate init(capacity: Int, gatewayID: String, dropped: ManagedAtomic<Int>) {
            self.capacity = capacity
            self.gatewayID = gatewayID
            self.dropped = dropped
        }

        func append(_ record: CallRecord) {
            var record = record
            append(&record)
        }

        /// `inout` only so a record stored in a class is read in place rather than copied (a copy
        /// retains and releases each of its strings); it is not changed.
        /// The lock is taken by hand: inside a `withLock` closure the captured record was copied.
        func append(_ record: inout CallRecord) {
            lock.lock()
            let accepted = state.rows < capacity
            if accepted {
                state.current.append(record, gatewayID: gatewayID)
                state.rows += 1
                if state.current.rows >= CallLogBatch.targetRows {
                    state.sealed.append(state.current)
                    state.current = CallLogBatch()
                }
            }
            lock.unlock()
            if !accepted { dropped.wrappingIncrement(ordering: .relaxed) }
        }

        /// The oldest batch, if any rows are buffered.
        fileprivate func take() -> CallLogBatch? {
            lock.withLock {
                let batch: CallLogBatch
                if !state.sealed.isEmpty {
                    batch = state.sealed.removeFirst()
                } else if !state.current.isEmpty {
                    batch = state.current
                    state.current = CallLogBatch()
                } else {
                    return nil
                }
                state.rows -= batch.rows
                return batch
            }
        }

        fileprivate var count: Int { lock.withLock { state.rows } }
    }

    init(capacity: Int, gatewayID: String) {
        self.capacity = capacity
        self.gatewayID = gatewayID
    }

    /// The shard of one event loop (created before the listeners start).
    func makeShard() -> Shard {
        let shard = Shard(capacity: capacity, gatewayID: gatewayID, dropped: dropped)
        shards.withLockedValue { $0.append(shard) }
        return shard
    }

    /// The oldest batches of the shards, merged until the result holds `CallLogBatch.targetRows`
    /// rows (so it stays under twice that); nil when nothing is buffered. A result with fewer rows
    /// means every shard was emptied: only a shard's current, unsealed batch can be short.
    func drain() -> CallLogBatch? {
        let all = shards.withLockedValue { $0 }
        guard !all.isEmpty else { return nil }
        let start = nextShard.loadThenWrappingIncrement(ordering: .relaxed)
        var merged: CallLogBatch?
        for offset in 0..<all.count {
            guard let batch = all[(start &+ offset) % all.count].take() else { continue }
            if merged == nil { merged = batch } else { merged!.merge(batch) }
            if merged!.rows >= CallLogBatch.targetRows { break }
        }
        return merged
    }

    var count: Int { shards.withLockedValue { $0 }.reduce(0) { $0 + $1.count } }
}
