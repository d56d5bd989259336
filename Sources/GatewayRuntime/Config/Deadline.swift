import NIOConcurrencyHelpers

/// Runs `operation` but gives up after `limit`: database calls of the data plane must fail fast
/// while PostgreSQL is unreachable. A task group cannot do this, because it waits for its
/// children, and a PostgresNIO request waiting for a connection does not end on cancellation; so
/// the operation runs in its own task, is cancelled on timeout, and finishes in the background.
struct DeadlineExceeded: Error {}

func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let continuation = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(nil)
    let tasks = NIOLockedValueBox<(work: Task<Void, Never>?, timer: Task<Void, Never>?)>((nil, nil))
    @Sendable func finish(_ result: Result<T, any Error>) {
        guard let waiting = continuation.withLockedValue({ value -> CheckedContinuation<T, any Error>? in defer { value = nil }; return value }) else {
            return
        }
        waiting.resume(with: result)
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (waiting: CheckedContinuation<T, any Error>) in
        continuation.withLockedValue { $0 = waiting }
        let work = Task {
            do { finish(.success(try await operation())) } catch { finish(.failure(error)) }
            tasks.withLockedValue { $0.timer?.cancel() }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            if Task.isCancelled { return }
            finish(.failure(DeadlineExceeded()))
            tasks.withLockedValue { $0.work?.cancel() }
        }
        tasks.withLockedValue { $0 = (work, timer) }
        }
    } onCancel: {
        finish(.failure(CancellationError()))
        tasks.withLockedValue { $0.work?.cancel(); $0.timer?.cancel() }
    }
}
