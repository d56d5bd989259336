import NIOCore
import NIOConcurrencyHelpers
import Domain
import Atomics

extension RuntimeConfig: AtomicReference {}

/// The configuration in use. Requests load it without locks; the config sync stores a new one.
final class ConfigHolder: Sendable {
    private let current = ManagedAtomic<RuntimeConfig>(RuntimeConfig.empty)

    var config: RuntimeConfig { current.load(ordering: .acquiring) }

    func store(_ config: RuntimeConfig) { current.store(config, ordering: .releasing) }

    var isLoaded: Bool { config.revision > 0 }
}
