import NIOCore
import Domain
import Atomics
import NIOConcurrencyHelpers

/// `NIOLockedValueBox` under a local name, so files that only need a lock import one module.
typealias NIOLockedValueBoxCompat = NIOLockedValueBox
