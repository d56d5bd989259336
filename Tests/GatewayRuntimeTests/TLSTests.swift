import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import GatewayRuntime

/// The TLS listener: certificates chosen by SNI, TLS 1.2/1.3 only, HTTP over it with
/// `X-Forwarded-Proto: https`.
@Suite(.serialized) struct TLSTests {
    static func makeCertificate(_ name: String, in directory: URL) throws -> (cert: String, key: String) {
        let cert = directory.appendingPathComponent("\(name).crt").path
        let key = directory.appendingPathComponent("\(name).key").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=\(name)",
            "-addext", "subjectAltName=DNS:\(name)",
        ]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (cert, key)
    }

    /// Performs a TLS handshake (verifying the certificate for `serverName` against `trust`) and one request.
    static func request(port: Int, serverName: String, trust: [String], maxVersion: TLSVersion = .tlsv13, key: String) async throws -> String {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try trust.flatMap { try NIOSSLCertificate.fromPEMFile($0) })
        configuration.maximumTLSVersion = maxVersion
        let context = try NIOSSLContext(configuration: configuration)
        let group = MultiThreadedEventLoopGroup.singleton
        let collector = group.next().makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHandler(Collector(promise: collector))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let request = "GET /orders/v1/tls HTTP/1.1\r\nHost: \(serverName)\r\nX-API-Key: \(key)\r\nConnection: close\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        return try await collector.futureResult.get()
    }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<String>
        var text = ""
        init(promise: EventLoopPromise<String>) { self.promise = promise }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { text += String(buffer: unwrapInboundIn(data)) }
        func channelInactive(context: ChannelHandlerContext) { promise.succeed(text) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
    }

    /// The plain listener runs on the gateway's epoll loops, which have no TLS: a request for a
    /// route with https targets moves its connection, with the bytes already read, to SwiftNIO.
    @Test func httpsUpstreamsAreReachedThroughThePlainListener() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = try Self.makeCertificate("localhost", in: directory)
        let serverTLS = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.key, format: .pem))))
        let upstream = TestUpstream(name: "secure", tls: serverTLS)
        try await upstream.start()
        defer { Task { await upstream.shutdown() } }
        let url = upstream.url
        try await GatewayHarness.run(
            routing: { routing in
                var routing = routing
                routing.targets = [.init(url: url, weight: 100)]
                return routing
            },
            settings: ["portico.gateway.upstream.tls.ca": .init(.string(certificate.cert), isSecret: false)]
        ) { h in
            let key = ["X-API-Key": h.key.secret]
            // A refusal is answered on the epoll loop; the connection stays there.
            let connection = try RawHTTPConnection(port: h.port)
            #expect(try connection.request("GET", "/orders/v1/items", headers: ["X-API-Key": "nope"]).status == 401)
            // The next request moves the connection (and its bytes) to SwiftNIO, which verifies the upstream's certificate.
            let first = try connection.request("GET", "/orders/v1/items?n=1", headers: key)
            #expect(first.status == 200, "\(first.text)")
            #expect(first.json["upstream"] as? String == "secure")
            #expect((first.json["headers"] as? [String: String])?["x-forwarded-proto"] == "http")
            // Requests after it, a body included, are served where the connection now is.
            let second = try connection.request("POST", "/orders/v1/items?n=2", headers: key, body: Data("hello".utf8))
            #expect(second.status == 200)
            #expect(second.json["bodyBytes"] as? Int == 5)
            // Pipelined requests sent in one write are all answered, in order, after the move.
            let pipelined = try RawHTTPConnection(port: h.port)
            let request = { (n: Int) in "GET /orders/v1/items?n=\(n) HTTP/1.1\r\nHost: localhost\r\nX-API-Key: \(h.key.secret)\r\n\r\n" }
            try pipelined.send(request(3) + request(4) + request(5))
            for n in 3...5 {
                let response = try pipelined.readResponse(forHEAD: false)
                #expect(response.status == 200)
                #expect((response.json["uri"] as? String)?.hasSuffix("?n=\(n)") == true)
            }
            #expect(upstream.count == 5)
        }
    }

    /// `portico.gateway.data.plane=nio` runs the plain listener on SwiftNIO (as the TLS listener).
    @Test func thePlainListenerCanRunOnSwiftNIO() async throws {
        try await GatewayHarness.run(settings: ["portico.gateway.data.plane": "nio"]) { h in
            // The setting took: no epoll listener, a plain SwiftNIO one.
            #expect(!h.gateway.services.contains { $0 is EpollListener })
            #expect(h.gateway.services.contains { ($0 as? GatewayListener).map { $0.tlsContext == nil } ?? false })
            let connection = try RawHTTPConnection(port: h.port)
            for _ in 0..<3 {
                let response = try connection.request("GET", "/orders/v1/items", headers: ["X-API-Key": h.key.secret])
                #expect(response.status == 200)
            }
            #expect(try rawRequest(port: h.port, "GET", "/orders/v1/items").problemType == "missing-key")
        }
    }

    @Test func sniChoosesTheCertificateAndOldProtocolsAreRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try Self.makeCertificate("localhost", in: directory)
        let second = try Self.makeCertificate("api.example.test", in: directory)
        let certificates = "localhost=\(first.cert):\(first.key),api.example.test=\(second.cert):\(second.key)"
        try await GatewayHarness.run(settings: ["portico.gateway.tls.certificates": .init(.string(certificates), isSecret: false)]) { h in
            #expect(h.tlsPort > 0)
            // Each name verifies only against its own certificate, so a wrong choice fails the handshake.
            let a = try await Self.request(port: h.tlsPort, serverName: "localhost", trust: [first.cert], key: h.key.secret)
            #expect(a.hasPrefix("HTTP/1.1 200"), "\(a)")
            #expect(a.contains("\"x-forwarded-proto\":\"https\""))
            let b = try await Self.request(port: h.tlsPort, serverName: "api.example.test", trust: [second.cert], key: h.key.secret)
            #expect(b.hasPrefix("HTTP/1.1 200"))
            await #expect(throws: (any Error).self) {
                _ = try await Self.request(port: h.tlsPort, serverName: "api.example.test", trust: [first.cert], key: h.key.secret)
            }
            await #expect(throws: (any Error).self) {
                _ = try await Self.request(port: h.tlsPort, serverName: "localhost", trust: [first.cert], maxVersion: .tlsv11, key: h.key.secret)
            }
        }
    }
}
