import NIOCore
import NIOConcurrencyHelpers
import Atomics
import Domain
import Foundation

/// The last good configuration on disk, written atomically (temp file + rename), so a gateway
/// restarted while PostgreSQL is down serves what it served before.
struct SnapshotStore: Sendable {
    let path: String

    func save(_ config: GatewayConfig) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let data = try encoder.encode(config)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        try data.write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown)
        }
    }

    /// The saved snapshot, or nil when there is none; throws when it is unreadable or invalid.
    func load() throws -> GatewayConfig? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let config = try decoder.decode(GatewayConfig.self, from: data)
        try config.validate()
        return config
    }
}
