import NIOCore
import NIOConcurrencyHelpers
import Domain
import Atomics
import Configuration
import Foundation

/// The gateway's configuration, from environment variables (`portico.gateway.port` is
/// `PORTICO_GATEWAY_PORT`).
struct GatewaySettings: Sendable {
    /// `portico.database.url` (secret; default `postgres://postgres@127.0.0.1:54329/portico`).
    var databaseURL: String
    /// `portico.gateway.host` / `portico.gateway.port` (default `127.0.0.1` / 8000): plain HTTP listener.
    var host: String
    var port: Int
    /// `portico.gateway.tls.port` (default 8443; 0 disables) and `portico.gateway.tls.certificates`:
    /// comma-separated `hostname=cert.pem:key.pem` entries; the first is the default for clients without SNI.
    var tlsPort: Int
    var tlsCertificates: [(host: String, certificate: String, key: String)]
    /// `portico.gateway.upstream.tls.ca` (default: the system trust store): a PEM file of the CA
    /// certificates https upstream targets are verified against, for upstreams behind a private CA.
    var upstreamTrustRoots: String?
    /// `portico.gateway.admin.port` (default 8001): /healthz, /readyz, /metrics.
    var adminPort: Int
    /// `portico.gateway.threads` (default: number of cores): SwiftNIO event loops (TLS listener,
    /// admin, health checks), and as many epoll loops for the plain listener.
    var threads: Int
    /// `portico.gateway.data.plane` (default `epoll`): what runs the plain HTTP listener — the
    /// gateway's own epoll loops, or `nio` (SwiftNIO, as the TLS listener; slower, kept for
    /// comparison and for platforms without epoll).
    var dataPlane: DataPlane

    enum DataPlane: String, Sendable {
        case epoll
        case nio
    }
    /// `portico.gateway.snapshot.path` (default `.data/gateway/config-snapshot.json`): last good config.
    var snapshotPath: String
    /// `portico.gateway.spool.dir` (default `.data/gateway/spool`): call records kept while PostgreSQL is down.
    var spoolDirectory: String
    /// `portico.gateway.max.body.bytes` (default 256 MiB): larger request bodies get 413.
    var maxBodyBytes: Int64
    /// `portico.gateway.max.head.bytes` (default 16 KiB): larger request heads get 431.
    var maxHeadBytes: Int
    /// `portico.gateway.client.timeout.seconds` (default 60; 0 turns it off): a connection waiting
    /// for a request head — idle between keep-alive requests, or a slow client sending one — is
    /// closed after this long (with 408 if part of a head had arrived).
    var clientTimeoutSeconds: Int
    /// `portico.gateway.poll.interval.ms` (default 1000): how often the config revision is polled.
    var pollIntervalMs: Int
    /// `portico.gateway.log.retention.days` (default 30): call-log partitions older than this are dropped.
    var logRetentionDays: Int
    /// `portico.gateway.rollup.retention.days` (default 400): hourly analytics rollups older than this
    /// are deleted (per-minute rollups are kept 8 days).
    var rollupRetentionDays: Int
    /// `portico.gateway.log.buffer` (default 200000): call records held in memory before dropping
    /// (counted), in total; each event loop holds its share.
    var logBufferCapacity: Int
    /// `portico.gateway.log.flush.ms` (default 200): how often buffered call records are written
    /// (one COPY per interval; shorter spreads the database's work more evenly).
    var logFlushMs: Int
    /// `portico.gateway.quota.flush.ms` (default 2000): how often quota usage is written to PostgreSQL.
    var quotaFlushMs: Int
    /// `portico.gateway.shutdown.grace.seconds` (default 10): how long in-flight requests may finish.
    var shutdownGraceSeconds: Int
    /// `portico.gateway.id` (default: host name): written into call records.
    var gatewayID: String
    /// `portico.log.level` (default `info`).
    var logLevel: String

    init(reader: ConfigReader) {
        databaseURL = reader.string(forKey: "portico.database.url", isSecret: true, default: "postgres://postgres@127.0.0.1:54329/portico")
        host = reader.string(forKey: "portico.gateway.host", default: "127.0.0.1")
        port = reader.int(forKey: "portico.gateway.port", default: 8000)
        tlsPort = reader.int(forKey: "portico.gateway.tls.port", default: 8443)
        tlsCertificates = Self.parseCertificates(reader.string(forKey: "portico.gateway.tls.certificates", default: ""))
        upstreamTrustRoots = reader.string(forKey: "portico.gateway.upstream.tls.ca")
        adminPort = reader.int(forKey: "portico.gateway.admin.port", default: 8001)
        threads = reader.int(forKey: "portico.gateway.threads", default: ProcessInfo.processInfo.activeProcessorCount)
        dataPlane = DataPlane(rawValue: reader.string(forKey: "portico.gateway.data.plane", default: "epoll")) ?? .epoll
        snapshotPath = reader.string(forKey: "portico.gateway.snapshot.path", default: ".data/gateway/config-snapshot.json")
        spoolDirectory = reader.string(forKey: "portico.gateway.spool.dir", default: ".data/gateway/spool")
        maxBodyBytes = Int64(reader.int(forKey: "portico.gateway.max.body.bytes", default: 256 * 1024 * 1024))
        maxHeadBytes = reader.int(forKey: "portico.gateway.max.head.bytes", default: 16 * 1024)
        clientTimeoutSeconds = max(0, reader.int(forKey: "portico.gateway.client.timeout.seconds", default: 60))
        pollIntervalMs = reader.int(forKey: "portico.gateway.poll.interval.ms", default: 1000)
        logRetentionDays = reader.int(forKey: "portico.gateway.log.retention.days", default: 30)
        rollupRetentionDays = reader.int(forKey: "portico.gateway.rollup.retention.days", default: 400)
        logBufferCapacity = reader.int(forKey: "portico.gateway.log.buffer", default: 200_000)
        logFlushMs = max(10, reader.int(forKey: "portico.gateway.log.flush.ms", default: 200))
        quotaFlushMs = reader.int(forKey: "portico.gateway.quota.flush.ms", default: 2000)
        shutdownGraceSeconds = reader.int(forKey: "portico.gateway.shutdown.grace.seconds", default: 10)
        gatewayID = reader.string(forKey: "portico.gateway.id", default: ProcessInfo.processInfo.hostName)
        logLevel = reader.string(forKey: "portico.log.level", default: "info")
    }

    static func parseCertificates(_ text: String) -> [(host: String, certificate: String, key: String)] {
        text.split(separator: ",").compactMap { entry in
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let files = parts[1].split(separator: ":")
            guard files.count == 2 else { return nil }
            return (String(parts[0]).lowercased(), String(files[0]), String(files[1]))
        }
    }
}
