import NIOCore

/// Keep-alive upstream connections of one loop, per target. Everything of a request stays on
/// one loop, so the pool needs no locks.
final class UpstreamPool {
    let connector: any UpstreamConnector
    let maxIdlePerTarget: Int
    let idleTimeout: TimeAmount
    /// Idle connections by target identity (targets live as long as the registry, which keeps
    /// every target it made; hashing an identity is cheaper than hashing the "host:port" key).
    /// Each target's list is an object, so taking and returning a connection only reads the
    /// dictionary: changing a value in place went through the dictionary's `_modify` accessor,
    /// which allocated three times per request.
    private var idle: [ObjectIdentifier: IdleList] = [:]

    private final class IdleList {
        var connections: [UpstreamConnection] = []
    }

    init(connector: any UpstreamConnector, maxIdlePerTarget: Int = 256, idleTimeout: TimeAmount = .seconds(55)) {
        self.connector = connector
        self.maxIdlePerTarget = maxIdlePerTarget
        self.idleTimeout = idleTimeout
    }

    /// The most recently used idle connection that is still open.
    /// `now`: the caller's reading of `NIODeadline.now()` (saves a clock read per request).
    func takeIdle(_ target: UpstreamTarget, now: NIODeadline = .now()) -> UpstreamConnection? {
        guard let list = idle[ObjectIdentifier(target)] else { return nil }
        while let connection = list.connections.popLast() {
            if !connection.closed && connection.idleSince + idleTimeout > now && connection.stream.isOpen { return connection }
            connection.stream.close()
        }
        return nil
    }

    func release(_ connection: UpstreamConnection, now: NIODeadline = .now()) {
        connection.owner = nil
        connection.idleSince = now
        guard !connection.closed else { return }
        let key = ObjectIdentifier(connection.target)
        let list: IdleList
        if let existing = idle[key] {
            list = existing
        } else {
            list = IdleList()
            idle[key] = list
        }
        if list.connections.count < maxIdlePerTarget {
            list.connections.append(connection)
        } else {
            connection.stream.close()
        }
    }

    func forget(_ connection: UpstreamConnection) {
        idle[ObjectIdentifier(connection.target)]?.connections.removeAll { $0 === connection }
    }

    /// Opens a connection on this pool's loop; `completion` runs there.
    func connect(_ target: UpstreamTarget, timeout: TimeAmount, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void) {
        connector.connect(target, timeout: timeout, for: self, completion)
    }

    /// Closes connections idle for longer than the idle timeout (called periodically, from any thread).
    func sweepOnItsLoop() {
        let pool = UncheckedSendable(self)
        connector.execute { pool.value.sweep() }
    }

    private func sweep() {
        let deadline = NIODeadline.now() - idleTimeout
        for list in idle.values {
            let connections = list.connections
            let (stale, fresh) = (connections.filter { $0.idleSince < deadline || $0.closed }, connections.filter { $0.idleSince >= deadline && !$0.closed })
            list.connections = fresh
            stale.forEach { $0.stream.close() }
        }
    }
}

/// Opens upstream connections for a pool, on the pool's loop.
protocol UpstreamConnector: AnyObject {
    func connect(
        _ target: UpstreamTarget, timeout: TimeAmount, for pool: UpstreamPool, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void)
    /// Runs `task` on the pool's loop (callable from any thread).
    func execute(_ task: @escaping @Sendable () -> Void)
}

/// Hands a loop-confined object to a task that runs on that same loop.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
