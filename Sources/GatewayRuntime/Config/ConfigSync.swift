import NIOCore
import NIOConcurrencyHelpers
import Atomics
import Domain
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps the gateway on the newest published configuration. The revision is polled every
/// second (the source of truth); a LISTEN on `portico_config` only wakes the poll early, since
/// notifications are lost while nobody listens. A new revision is loaded, validated, compiled
/// and swapped in; a snapshot that fails validation is refused and the previous config stays.
/// At start the disk snapshot is served first, so the gateway works while PostgreSQL is down.
struct ConfigSync: Service {
    let shared: GatewayShared
    let loader: GatewayConfigLoader
    let snapshots: SnapshotStore
    let listenConfiguration: PostgresConnection.Configuration
    let pollInterval: Duration
    let logger: Logger
    /// Loads quota usage for a configuration's subscriptions before it serves (false when the
    /// database cannot be reached).
    let hydrate: @Sendable (GatewayConfig) async -> Bool
    /// Configurations waiting to be written to disk (only the newest is kept).
    let snapshotQueue = SnapshotQueue()
    /// The configuration in use and whether its quota usage was loaded.
    private let state = NIOLockedValueBox<(config: GatewayConfig?, hydrated: Bool)>((nil, false))

    func run() async throws {
        loadSnapshotFromDisk()
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let snapshots = snapshots
        let logger = logger
        try await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                // Snapshots are written beside the sync loop: a large configuration serves at once,
                // and only the newest pending snapshot is written.
                group.addTask {
                    for await config in snapshotQueue.stream {
                        do {
                            try snapshots.save(config)
                            snapshotQueue.written.withLockedValue { $0 = config.revision }
                        } catch {
                            logger.error("Could not write the configuration snapshot", metadata: ["error": "\(error)"])
                        }
                        MemoryTrim.trim()
                    }
                }
                group.addTask { await listenForNotifications(wake: wake) }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: pollInterval)
                        wake.yield()
                    }
                }
                group.addTask {
                    await refresh()
                    for await _ in wakeups {
                        await refresh()
                    }
                }
            }
        }
        // A snapshot still waiting at shutdown is written before the gateway exits.
        if let current = state.withLockedValue({ $0.config }), snapshotQueue.written.withLockedValue({ $0 }) != current.revision {
            try? snapshots.save(current)
        }
    }

    private func loadSnapshotFromDisk() {
        do {
            guard let config = try snapshots.load() else { return }
            // Serve at once; quota usage is loaded as soon as the database answers.
            apply(config, persist: false)
            state.withLockedValue { $0 = (config, false) }
            logger.notice("Serving the configuration snapshot from disk", metadata: ["config.revision": "\(config.revision)"])
        } catch {
            logger.error("The configuration snapshot on disk is unusable", metadata: ["error": "\(error)"])
        }
    }

    /// Loads and applies a newer revision if there is one.
    func refresh() async {
        let loader = loader
        do {
            let revision = try await withDeadline(.seconds(3)) { try await loader.revision() }
            let (current, hydrated) = state.withLockedValue { $0 }
            if revision == shared.config.config.revision {
                // Same configuration (for example from the disk snapshot): make sure quota usage is known.
                if !hydrated, let current, await hydrate(current) { state.withLockedValue { $0.hydrated = true } }
                return
            }
            let started = ContinuousClock.now
            logger.info("New configuration revision", metadata: ["config.revision": "\(revision)"])
            let (config, changes) = try await withDeadline(.seconds(30)) { try await loader.loadWithChanges() }
            let loadedAt = ContinuousClock.now
            try config.validate()
            // Usage of the subscriptions is loaded before the new configuration serves, so a
            // restarted gateway does not grant a quota twice.
            let compiled = RuntimeConfig.compile(
                config, previous: shared.config.config, changes: changes, targets: shared.targets, limiters: shared.limiters)
            let compiledAt = ContinuousClock.now
            let loaded = await hydrate(config)
            let hydratedAt = ContinuousClock.now
            apply(config, compiled: compiled, persist: false)
            state.withLockedValue { $0 = (config, loaded) }
            let servedAt = ContinuousClock.now
            persist(config)
            logger.notice(
                "Configuration applied",
                metadata: [
                    "config.revision": "\(config.revision)", "routes": "\(config.routes.count)", "keys": "\(config.keys.count)",
                    "load.full": "\(changes == nil)", "load.ms": "\((loadedAt - started).milliseconds)", "compile.ms": "\((compiledAt - loadedAt).milliseconds)",
                    "quota.ms": "\((hydratedAt - compiledAt).milliseconds)", "swap.ms": "\((servedAt - hydratedAt).milliseconds)",
                ])
        } catch {
            // Shutting down is not a failed refresh.
            if error is CancellationError || Task.isCancelled { return }
            shared.metrics.configLoadFailures.wrappingIncrement(ordering: .relaxed)
            logger.warning("Configuration refresh failed; keeping the current one", metadata: ["error": "\(String(describing: error))"])
        }
    }

    private func apply(_ config: GatewayConfig, compiled: RuntimeConfig? = nil, persist: Bool) {
        let compiled = compiled ?? RuntimeConfig.compile(config, previous: shared.config.config, targets: shared.targets, limiters: shared.limiters)
        shared.config.store(compiled)
        shared.metrics.configRevision.store(config.revision, ordering: .relaxed)
        shared.metrics.configGeneratedAt.store(Int64(config.generatedAt.timeIntervalSince1970), ordering: .relaxed)
        if persist { self.persist(config) }
    }

    private func persist(_ config: GatewayConfig) {
        snapshotQueue.continuation.yield(config)
    }

    /// LISTEN on a dedicated connection; reconnects with backoff while the database is away.
    private func listenForNotifications(wake: AsyncStream<Void>.Continuation) async {
        var backoff = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: listenConfiguration, id: 0, logger: logger)
                backoff = .milliseconds(250)
                do {
                    let notifications = try await connection.listen("portico_config")
                    // Changes committed before the LISTEN took effect sent their NOTIFY to nobody.
                    shared.listeningForChanges.store(true, ordering: .relaxed)
                    wake.yield()
                    for try await _ in notifications {
                        wake.yield()
                    }
                } catch {}
                shared.listeningForChanges.store(false, ordering: .relaxed)
                try? await connection.close()
            } catch {}
            if Task.isCancelled { return }
            wake.yield()
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }
}

/// A one-slot queue of configurations to write to disk.
struct SnapshotQueue: Sendable {
    let stream: AsyncStream<GatewayConfig>
    let continuation: AsyncStream<GatewayConfig>.Continuation
    /// The revision last written to disk.
    let written = NIOLockedValueBox<Int64>(0)

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: GatewayConfig.self, bufferingPolicy: .bufferingNewest(1))
    }
}
