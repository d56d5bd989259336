/// A task due at a point in time on an `EpollLoop` (`NIODeadline` uptime nanoseconds).
/// Cancelling drops the task; the entry leaves the queue when it comes due.
final class EpollTimer: ScheduledTask {
    let deadline: UInt64
    fileprivate(set) var task: (() -> Void)?

    init(deadline: UInt64, task: @escaping () -> Void) {
        self.deadline = deadline
        self.task = task
    }

    func cancel() {
        task = nil
    }
}

/// The loop's timers as a binary min-heap on the deadline. Cancelled timers stay until they come
/// due, unless the heap doubles past its last live size: then they are dropped all at once (every
/// connection has a client timer of a minute, so short connections would otherwise pile them up).
struct EpollTimerQueue {
    private var heap: [EpollTimer] = []
    private var compactAt = 4096

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    mutating func push(_ timer: EpollTimer) {
        if heap.count >= compactAt { compact() }
        heap.append(timer)
        siftUp(heap.count - 1)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }

    /// Drops cancelled timers and rebuilds the heap (bottom-up, linear).
    private mutating func compact() {
        heap.removeAll { $0.task == nil }
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
        compactAt = max(4096, 2 * heap.count)
    }

    /// The earliest deadline of a timer that still has a task (cancelled ones at the top are dropped).
    mutating func earliestDeadline() -> UInt64? {
        while let first = heap.first {
            if first.task != nil { return first.deadline }
            _ = popFirst()
        }
        return nil
    }

    /// The earliest timer if it is due at `now`.
    mutating func popDue(now: UInt64) -> EpollTimer? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        return popFirst()
    }

    private mutating func popFirst() -> EpollTimer? {
        guard !heap.isEmpty else { return nil }
        let first = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    /// Drops every timer (the loop is stopping).
    mutating func removeAll() {
        heap.removeAll()
    }
}
