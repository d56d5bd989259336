import NIOCore
import Domain
import Atomics
import NIOConcurrencyHelpers

/// A bounded buffer between request handling and the log writer. Appending never blocks or
/// waits for the database; when the writer falls behind and the buffer is full, records are
/// dropped and counted (exported as a metric), never silently lost.
final class CallLogBuffer: Sendable {
    let capacity: Int
    private let records = NIOLockedValueBox<[CallRecord]>([])
    let appended = ManagedAtomic<Int>(0)
    let dropped = ManagedAtomic<Int>(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    func append(_ record: CallRecord) {
        let accepted = records.withLockedValue { buffer -> Bool in
            guard buffer.count < capacity else { return false }
            buffer.append(record)
            return true
        }
        if accepted {
            appended.wrappingIncrement(ordering: .relaxed)
        } else {
            dropped.wrappingIncrement(ordering: .relaxed)
        }
    }

    /// Takes up to `max` records, oldest first.
    func drain(max: Int) -> [CallRecord] {
        records.withLockedValue { buffer in
            if buffer.count <= max {
                let all = buffer
                buffer.removeAll(keepingCapacity: true)
                return all
            }
            let head = Array(buffer.prefix(max))
            buffer.removeFirst(max)
            return head
        }
    }

    var count: Int { records.withLockedValue { $0.count } }
}
