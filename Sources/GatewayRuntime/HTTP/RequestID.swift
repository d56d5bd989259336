import NIOCore

/// A request's `X-Request-Id`: the client's, or 128 random bits the gateway made.
///
/// A generated id stays two words until it is written (32 hex digits into the upstream head,
/// the response head and the log row), so no `String` is allocated for it per request.
enum RequestID: Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// The client's value (already validated: printable ASCII, no quote or backslash).
    case text(String)
    case random(UInt64, UInt64)

    init(random: inout FastRandom) {
        self = .random(random.next(), random.next())
    }

    init(stringLiteral value: String) {
        self = .text(value)
    }

    init(stringInterpolation: DefaultStringInterpolation) {
        self = .text(String(stringInterpolation: stringInterpolation))
    }

    var utf8Count: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .random: 32
        }
    }

    var description: String {
        switch self {
        case .text(let text): return text
        case .random:
            var buffer = ByteBuffer()
            buffer.writeRaw(maximumBytes: 32) { $0.requestID(self) }
            return String(buffer: buffer)
        }
    }
}

/// A request's W3C `traceparent`: the client's, or a new trace (random trace and parent ids,
/// sampled) kept as words until written.
enum Traceparent {
    case text(String)
    case random(UInt64, UInt64, parent: UInt64)

    init(random: inout FastRandom) {
        // `| 1` keeps each id from being all zeros (which the spec forbids).
        self = .random(random.next() | 1, random.next() | 1, parent: random.next() | 1)
    }

    var utf8Count: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .random: 55
        }
    }
}

extension RawByteWriter {
    mutating func requestID(_ id: RequestID) {
        switch id {
        case .text(let text): string(text)
        case .random(let high, let low):
            hex(high)
            hex(low)
        }
    }

    mutating func traceparent(_ value: Traceparent) {
        switch value {
        case .text(let text): string(text)
        case .random(let high, let low, let parent):
            staticString("00-")
            hex(high)
            hex(low)
            byte(0x2D)
            hex(parent)
            staticString("-01")
        }
    }
}
