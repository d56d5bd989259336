import NIOConcurrencyHelpers
import Domain
import Atomics
import NIOCore

/// Finds where an HTTP/1.1 message body ends while its bytes stream through unchanged:
/// a fixed length, `chunked` (validated strictly: hex sizes, CRLFs, trailers), or until close.
struct BodyFramer {
    enum Failure: Error, Equatable {
        case malformedChunk(String)
    }

    enum Mode: Equatable {
        case none
        case length(Int64)
        case chunked
        case untilClose
    }

    private enum ChunkState: Equatable {
        case size(digits: Int, value: Int64)
        case extensionBytes
        case sizeLF
        case data(remaining: Int64)
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerLine
        case trailerLF
        case finalLF
    }

    private(set) var mode: Mode
    private var remaining: Int64 = 0
    private var chunkState = ChunkState.size(digits: 0, value: 0)
    /// Decoded body bytes seen so far (for body size limits).
    private(set) var bodyBytes: Int64 = 0
    private(set) var isComplete: Bool
    /// True once a complete chunk-size line has been parsed (the gateway waits for it before
    /// forwarding a chunked request, so a malformed first chunk never reaches an upstream).
    private(set) var sawFirstChunkSize = false

    init(mode: Mode) {
        self.mode = mode
        switch mode {
        case .none: isComplete = true
        case .length(let length):
            remaining = length
            isComplete = length == 0
        case .chunked, .untilClose: isComplete = false
        }
    }

    /// Consumes bytes from the start of `bytes`; returns how many belong to this message.
    mutating func consume(_ bytes: ByteBufferView) throws(Failure) -> Int {
        if isComplete { return 0 }
        switch mode {
        case .none:
            return 0
        case .untilClose:
            bodyBytes += Int64(bytes.count)
            return bytes.count
        case .length:
            let take = Int(min(Int64(bytes.count), remaining))
            remaining -= Int64(take)
            bodyBytes += Int64(take)
            if remaining == 0 { isComplete = true }
            return take
        case .chunked:
            return try consumeChunked(bytes)
        }
    }

    /// Marks the end of input (connection closed): only `untilClose` bodies end this way.
    mutating func finishAtClose() -> Bool {
        if mode == .untilClose { isComplete = true }
        return isComplete
    }

    private mutating func consumeChunked(_ bytes: ByteBufferView) throws(Failure) -> Int {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch chunkState {
            case .size(let digits, let value):
                if let digit = Self.hexValue(byte) {
                    guard digits < 15 else { throw .malformedChunk("chunk size too large") }
                    chunkState = .size(digits: digits + 1, value: value * 16 + Int64(digit))
                } else if digits > 0 && (byte == 0x3B || byte == 0x20 || byte == 0x09) {
                    remaining = value
                    chunkState = .extensionBytes
                } else if digits > 0 && byte == 0x0D {
                    remaining = value
                    chunkState = .sizeLF
                } else {
                    throw .malformedChunk("invalid chunk size")
                }
            case .extensionBytes:
                if byte == 0x0D {
                    chunkState = .sizeLF
                } else if byte == 0x0A || (byte < 0x20 && byte != 0x09) || byte == 0x7F {
                    throw .malformedChunk("invalid chunk extension")
                }
            case .sizeLF:
                guard byte == 0x0A else { throw .malformedChunk("chunk size line must end with CRLF") }
                sawFirstChunkSize = true
                chunkState = remaining == 0 ? .trailerLineStart : .data(remaining: remaining)
            case .data(let left):
                let available = Int64(bytes.endIndex - index)
                let take = min(available, left)
                bodyBytes += take
                index += Int(take)
                chunkState = take == left ? .dataCR : .data(remaining: left - take)
                continue
            case .dataCR:
                guard byte == 0x0D else { throw .malformedChunk("chunk data must end with CRLF") }
                chunkState = .dataLF
            case .dataLF:
                guard byte == 0x0A else { throw .malformedChunk("chunk data must end with CRLF") }
                chunkState = .size(digits: 0, value: 0)
            case .trailerLineStart:
                if byte == 0x0D {
                    chunkState = .finalLF
                } else if byte == 0x20 || byte == 0x09 || byte == 0x0A {
                    throw .malformedChunk("malformed trailer")
                } else {
                    chunkState = .trailerLine
                }
            case .trailerLine:
                if byte == 0x0D {
                    chunkState = .trailerLF
                } else if byte == 0x0A || (byte < 0x20 && byte != 0x09) {
                    throw .malformedChunk("malformed trailer")
                }
            case .trailerLF:
                guard byte == 0x0A else { throw .malformedChunk("malformed trailer") }
                chunkState = .trailerLineStart
            case .finalLF:
                guard byte == 0x0A else { throw .malformedChunk("chunked body must end with CRLF") }
                isComplete = true
                return index + 1 - bytes.startIndex
            }
            index += 1
        }
        return bytes.count
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x37
        case 0x61...0x66: byte - 0x57
        default: nil
        }
    }
}
