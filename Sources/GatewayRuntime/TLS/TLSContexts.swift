import NIOConcurrencyHelpers
import Domain
import Atomics
import Foundation
import Logging
import NIOCore
import NIOSSL

/// TLS for the client listener: TLS 1.2 and 1.3 only, ALPN http/1.1, and a certificate chosen
/// by SNI among those configured per host (the first one for clients that send no name).
enum TLSContexts {
    struct Certificate {
        var host: String
        var chain: [NIOSSLCertificateSource]
        var key: NIOSSLPrivateKeySource
    }

    static func serverContext(_ entries: [(host: String, certificate: String, key: String)]) throws -> NIOSSLContext? {
        guard let first = entries.first else { return nil }
        var certificates: [String: Certificate] = [:]
        for entry in entries {
            let chain = try NIOSSLCertificate.fromPEMFile(entry.certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = NIOSSLPrivateKeySource.privateKey(try NIOSSLPrivateKey(file: entry.key, format: .pem))
            certificates[entry.host] = Certificate(host: entry.host, chain: chain, key: key)
        }
        let fallback = certificates[first.host]!
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: fallback.chain, privateKey: fallback.key)
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.applicationProtocols = ["http/1.1"]
        // Forward secrecy and AEAD ciphers only for TLS 1.2 (TLS 1.3 suites are all of that kind).
        configuration.cipherSuites = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
        if certificates.count > 1 {
            let table = certificates.mapValues { ($0.chain, $0.key) }
            configuration.sslContextCallback = { values, promise in
                var override = NIOSSLContextConfigurationOverride()
                if let name = values.serverHostname?.lowercased(), let match = table[name] ?? wildcard(name, in: table) {
                    override.certificateChain = match.0
                    override.privateKey = match.1
                }
                promise.succeed(override)
            }
        }
        return try NIOSSLContext(configuration: configuration)
    }

    private static func wildcard(_ name: String, in table: [String: ([NIOSSLCertificateSource], NIOSSLPrivateKeySource)])
        -> ([NIOSSLCertificateSource], NIOSSLPrivateKeySource)?
    {
        guard let dot = name.firstIndex(of: ".") else { return nil }
        return table["*" + name[dot...]]
    }

    /// TLS to https upstream targets, verifying certificates against the system trust store, or
    /// against the certificates in `trustRootsFile` (PEM) for upstreams behind a private CA.
    static func clientContext(trustRootsFile: String? = nil) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let trustRootsFile { configuration.trustRoots = .file(trustRootsFile) }
        if ProcessInfo.processInfo.environment["PORTICO_GATEWAY_UPSTREAM_TLS_VERIFY"] == "false" {
            configuration.certificateVerification = .none
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
