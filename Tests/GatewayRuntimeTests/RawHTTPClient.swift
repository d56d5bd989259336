import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A deliberately simple blocking HTTP/1.1 client over a POSIX socket: it sends exactly the bytes
/// a test gives it (framing attacks included) and parses responses itself.
final class RawHTTPConnection {
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: Data

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var problemType: String? { (json["type"] as? String)?.replacingOccurrences(of: "https://portico.dev/problems/gateway/", with: "") }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    enum Failure: Error { case connect, closed, timeout, malformed(String) }

    private let fd: Int32
    private var buffer = Data()
    private(set) var closed = false

    /// `receiveBufferBytes`: a small receive buffer (set before connecting, so the window stays
    /// small too) makes the gateway's writes to a client that does not read fall short sooner.
    init(port: Int, timeoutSeconds: Int = 10, receiveBufferBytes: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure.connect
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Data(text.utf8)) }

    func send(_ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { raw in Glibc.send(fd, raw.baseAddress! + offset, data.count - offset, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw Failure.closed }
            offset += written
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &chunk, chunk.count, 0)
        if count == 0 {
            closed = true
            throw Failure.closed
        }
        if count < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timeout : Failure.closed }
        buffer.append(contentsOf: chunk[0..<count])
    }

    /// Reads one response (skipping 1xx interim responses).
    func readResponse(forHEAD: Bool = false) throws -> Response {
        while true {
            while buffer.range(of: Data("\r\n\r\n".utf8)) == nil { try fill() }
            let end = buffer.range(of: Data("\r\n\r\n".utf8))!
            let head = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex..<end.upperBound)
            var lines = head.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ")
            guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure.malformed(statusLine) }
            let headers = lines.compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            if (100..<200).contains(status) { continue }
            var response = Response(status: status, headers: headers, body: Data())
            if forHEAD || status == 204 || status == 304 { return response }
            if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
                while true {
                    while buffer.range(of: Data("\r\n".utf8)) == nil { try fill() }
                    let lineEnd = buffer.range(of: Data("\r\n".utf8))!
                    let sizeText = String(decoding: buffer[buffer.startIndex..<lineEnd.lowerBound], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex..<lineEnd.upperBound)
                    guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else { throw Failure.malformed("chunk \(sizeText)") }
                    while buffer.count < size + 2 { try fill() }
                    response.body.append(buffer.prefix(size))
                    buffer.removeFirst(size + 2)
                    if size == 0 { return response }
                }
            } else if let length = response.header("Content-Length").flatMap(Int.init) {
                while buffer.count < length { try fill() }
                response.body = buffer.prefix(length)
                buffer.removeFirst(length)
                return response
            } else {
                do { while true { try fill() } } catch Failure.closed {}
                response.body = buffer
                buffer.removeAll()
                return response
            }
        }
    }

    /// Sends a request and reads its response.
    func request(_ method: String = "GET", _ path: String, headers: [String: String] = [:], body: Data? = nil, host: String = "localhost") throws
        -> Response
    {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        var data = Data(text.utf8)
        if let body { data.append(body) }
        try send(data)
        return try readResponse(forHEAD: method == "HEAD")
    }

    /// True when the server closed the connection (reads return EOF).
    func isClosedByPeer() -> Bool {
        do {
            try fill()
            return false
        } catch Failure.closed {
            return true
        } catch {
            return false
        }
    }
}

/// One request on a fresh connection.
func rawRequest(port: Int, _ method: String = "GET", _ path: String, headers: [String: String] = [:], body: Data? = nil) throws -> RawHTTPConnection.Response {
    try RawHTTPConnection(port: port).request(method, path, headers: headers, body: body)
}
