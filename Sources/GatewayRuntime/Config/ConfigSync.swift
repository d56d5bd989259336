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
    /// Called after each successful swap (the quota store loads usage of new subscriptions).
    let onApplied: @Sendable (GatewayConfig) async -> Void

    func run() async throws {
        loadSnapshotFromDisk()
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
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
    }

    private func loadSnapshotFromDisk() {
        do {
            guard let config = try snapshots.load() else { return }
            apply(config, persist: false)
            logger.notice("Serving the configuration snapshot from disk", metadata: ["config.revision": "\(config.revision)"])
        } catch {
            logger.error("The configuration snapshot on disk is unusable", metadata: ["error": "\(error)"])
        }
    }

    /// Loads and applies a newer revision if there is one.
    func refresh() async {
        do {
            let revision = try await loader.revision()
            guard revision != shared.config.config.revision else { return }
            let config = try await loader.load()
            try config.validate()
            apply(config, persist: true)
            await onApplied(config)
            logger.info("Configuration applied", metadata: ["config.revision": "\(config.revision)", "routes": "\(config.routes.count)", "keys": "\(config.keys.count)"])
        } catch {
            shared.metrics.configLoadFailures.wrappingIncrement(ordering: .relaxed)
            logger.warning("Configuration refresh failed; keeping the current one", metadata: ["error": "\(String(describing: error))"])
        }
    }

    private func apply(_ config: GatewayConfig, persist: Bool) {
        let compiled = RuntimeConfig.compile(config, targets: shared.targets, limiters: shared.limiters)
        shared.config.store(compiled)
        shared.metrics.configRevision.store(config.revision, ordering: .relaxed)
        shared.metrics.configGeneratedAt.store(Int64(config.generatedAt.timeIntervalSince1970), ordering: .relaxed)
        if persist {
            do { try snapshots.save(config) } catch { logger.error("Could not write the configuration snapshot", metadata: ["error": "\(error)"]) }
        }
    }

    /// LISTEN on a dedicated connection; reconnects with backoff while the database is away.
    private func listenForNotifications(wake: AsyncStream<Void>.Continuation) async {
        var backoff = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: listenConfiguration, id: 0, logger: logger)
                backoff = .milliseconds(250)
                do {
                    for try await _ in try await connection.listen("portico_config") {
                        wake.yield()
                    }
                } catch {}
                try? await connection.close()
            } catch {}
            if Task.isCancelled { return }
            wake.yield()
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }
}
