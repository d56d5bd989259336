import Foundation

/// Runs blocking socket work on a thread of its own and awaits its result.
///
/// Swift concurrency's pool has one thread per core, two on the CI machine, and the gateway under test runs its
/// config sync and call-log writer on that pool. A test that sends thousands of requests with a blocking client on a
/// pool thread holds that thread for seconds; with a second such test beside it, every other suite's awaits wait.
/// In CI that once stretched a retire's propagation to 1.8 s in another suite.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
