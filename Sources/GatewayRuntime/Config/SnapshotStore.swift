import Domain
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat

/// The last good configuration on disk, written atomically (temp file + rename), so a gateway
/// restarted while PostgreSQL is down serves what it served before.
///
/// Format (text, versioned): a header line, one JSON line with revision, routes and plans, then
/// one tab-separated line per key (`K`) and per subscription (`S`). Keys and subscriptions are
/// the bulk (100,000s); writing them as lines instead of through `JSONEncoder` is what keeps a
/// reload of a large configuration within its time budget.
struct SnapshotStore: Sendable {
    static let header = "PORTICO-GATEWAY-SNAPSHOT 1"

    struct Head: Codable {
        var format: Int
        var revision: Int64
        var generatedAt: Date
        var routes: [GatewayConfig.Route]
        var plans: [GatewayConfig.Plan]
    }

    let path: String
    /// The JSON of the last routes and plans written: most reloads change keys or subscriptions
    /// only, and encoding 10,000 routes again took a third of a second of the serving core.
    private let encodedSections = NIOLockedValueBox<EncodedSections?>(nil)

    private struct EncodedSections {
        var routes: [GatewayConfig.Route]
        var plans: [GatewayConfig.Plan]
        var json: (routes: Data, plans: Data)
    }

    init(path: String) {
        self.path = path
    }

    /// The head line: what `Head` encodes to, with the routes' and plans' JSON reused when unchanged.
    private func headJSON(_ config: GatewayConfig, encoder: JSONEncoder) throws -> Data {
        let cached = encodedSections.withLockedValue { $0 }
        let json: (routes: Data, plans: Data)
        if let cached, cached.routes == config.routes, cached.plans == config.plans {
            json = cached.json
        } else {
            json = (try encoder.encode(config.routes), try encoder.encode(config.plans))
            encodedSections.withLockedValue { $0 = EncodedSections(routes: config.routes, plans: config.plans, json: json) }
        }
        var head = Data("{\"format\":\(config.format),\"revision\":\(config.revision),\"generatedAt\":".utf8)
        head.append(try encoder.encode(config.generatedAt))
        head.append(contentsOf: Array(",\"routes\":".utf8))
        head.append(json.routes)
        head.append(contentsOf: Array(",\"plans\":".utf8))
        head.append(json.plans)
        head.append(0x7D)
        return head
    }

    func save(_ config: GatewayConfig) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        // Key and subscription lines are written through one pointer per line (Foundation's
        // `uuidString` formats through `snprintf`: with 100,000 keys and subscriptions that was
        // most of a reload's CPU time, spent on the core that serves requests).
        var buffer = ByteBufferAllocator().buffer(capacity: 200 * (config.keys.count + config.subscriptions.count) + 1024 * config.routes.count)
        buffer.writeString(Self.header + "\n")
        buffer.writeBytes(try headJSON(config, encoder: encoder))
        buffer.writeInteger(UInt8(0x0A))
        func time(_ date: Date?, _ out: inout RawByteWriter) {
            if let date { out.decimal(Int64(date.timeIntervalSince1970)) } else { out.byte(UInt8(ascii: "-")) }
        }
        for key in config.keys {
            buffer.writeRaw(maximumBytes: 256 + key.prefix.utf8.count + key.status.rawValue.utf8.count) { out in
                out.staticString("K\t")
                out.string(key.hash.hex)
                out.tab()
                out.string(key.prefix)
                out.tab()
                out.uuid(key.applicationID)
                out.tab()
                out.uuid(key.tenantID)
                out.tab()
                out.string(key.status.rawValue)
                out.tab()
                time(key.expiresAt, &out)
                out.tab()
                time(key.revokedAt, &out)
                out.byte(0x0A)
            }
        }
        for subscription in config.subscriptions {
            buffer.writeRaw(maximumBytes: 192 + subscription.state.rawValue.utf8.count) { out in
                out.staticString("S\t")
                out.uuid(subscription.id)
                out.tab()
                out.uuid(subscription.applicationID)
                out.tab()
                out.uuid(subscription.versionID)
                out.tab()
                out.uuid(subscription.planID)
                out.tab()
                out.string(subscription.state.rawValue)
                out.byte(0x0A)
            }
        }
        let data = Data(buffer: buffer)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        try data.write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown)
        }
    }

    enum Failure: Error { case malformed(String) }

    /// The saved snapshot, or nil when there is none; throws when it is unreadable or invalid.
    func load() throws -> GatewayConfig? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)[...]
        guard let header = lines.popFirst(), String(decoding: header, as: UTF8.self) == Self.header, let headLine = lines.popFirst() else {
            throw Failure.malformed("header")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let head = try decoder.decode(Head.self, from: Data(headLine))
        var keys: [GatewayConfig.Key] = []
        var subscriptions: [GatewayConfig.Subscription] = []
        for line in lines {
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            switch fields.first {
            case "K":
                // Seven fields in snapshots written before revocation times were kept.
                guard fields.count == 7 || fields.count == 8, let hash = KeyHash(hex: fields[1]), let application = UUID(uuidString: fields[3]),
                    let tenant = UUID(uuidString: fields[4]), let status = KeyStatus(rawValue: fields[5])
                else { throw Failure.malformed("key line") }
                let expires = fields[6] == "-" ? nil : Int64(fields[6]).map { Date(timeIntervalSince1970: TimeInterval($0)) }
                let revoked = fields.count == 8 && fields[7] != "-" ? Int64(fields[7]).map { Date(timeIntervalSince1970: TimeInterval($0)) } : nil
                keys.append(
                    .init(hash: hash, prefix: fields[2], applicationID: application, tenantID: tenant, status: status, expiresAt: expires, revokedAt: revoked))
            case "S":
                guard fields.count == 6, let id = UUID(uuidString: fields[1]), let application = UUID(uuidString: fields[2]),
                    let version = UUID(uuidString: fields[3]), let plan = UUID(uuidString: fields[4]), let state = SubscriptionState(rawValue: fields[5])
                else { throw Failure.malformed("subscription line") }
                subscriptions.append(.init(id: id, applicationID: application, versionID: version, planID: plan, state: state))
            default:
                throw Failure.malformed("unknown line")
            }
        }
        var config = GatewayConfig(revision: head.revision, generatedAt: head.generatedAt, routes: head.routes, plans: head.plans, keys: keys, subscriptions: subscriptions)
        config.format = head.format
        try config.validate()
        return config
    }
}
