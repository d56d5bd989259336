import Testing

@testable import GatewayRuntime

/// The epoll loop's timers: due ones come out in deadline order, and cancelled ones do not
/// pile up when connections come and go faster than their timers run out.
@Suite struct EpollTimerQueueTests {
    @Test func timersComeDueInOrderAndCancelledOnesDoNotPileUp() {
        var queue = EpollTimerQueue()
        var live: [EpollTimer] = []
        var state = UInt64(12345)
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 40
        }
        // 100,000 short connections: each schedules a timer and cancels it; one in a hundred stays.
        for index in 0..<100_000 {
            let timer = EpollTimer(deadline: 1_000 + next(), task: {})
            queue.push(timer)
            if index % 100 == 0 { live.append(timer) } else { timer.cancel() }
        }
        #expect(queue.count < 10_000)  // without compaction: 100,000
        var fired: [UInt64] = []
        while let timer = queue.popDue(now: .max) {
            if timer.task != nil { fired.append(timer.deadline) }
        }
        #expect(fired.count == live.count)
        #expect(fired == live.map(\.deadline).sorted())
        #expect(queue.earliestDeadline() == nil)
    }
}
