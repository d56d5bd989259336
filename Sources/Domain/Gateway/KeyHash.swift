import Foundation
import NIOCore

/// The SHA-256 of an API key as four machine words: compact in memory (100,000 keys), cheap to
/// hash and compare, and written as 64 hex digits in JSON.
public struct KeyHash: Hashable, Sendable, Codable {
    public var a: UInt64, b: UInt64, c: UInt64, d: UInt64

    /// From 32 bytes (a SHA-256 digest).
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 32 else { return nil }
        a = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        b = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        c = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        d = bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    public init?(buffer: ByteBuffer) {
        guard let hash = buffer.withUnsafeReadableBytes({ KeyHash(bytes: $0) }) else { return nil }
        self = hash
    }

    public init?(hex: String) {
        self.init(hexBytes: hex.utf8)
    }

    public init?<C: Collection>(hexBytes hex: C) where C.Element == UInt8 {
        guard hex.count == 64 else { return nil }
        let hash: KeyHash? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { bytes in
            var index = 0
            var iterator = hex.makeIterator()
            while let high = iterator.next() {
                guard let low = iterator.next(), let h = Self.nibble(high), let l = Self.nibble(low) else { return nil }
                bytes[index] = h << 4 | l
                index += 1
            }
            return KeyHash(bytes: UnsafeRawBufferPointer(bytes))
        }
        guard let hash else { return nil }
        self = hash
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public var hex: String {
        let digits = Self.hexDigits
        return String(unsafeUninitializedCapacity: 64) { out in
            var index = 0
            withUnsafeBytes(of: (a, b, c, d)) { raw in
                for byte in raw {
                    out[index] = digits[Int(byte >> 4)]
                    out[index + 1] = digits[Int(byte & 0xF)]
                    index += 2
                }
            }
            return 64
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let hash = KeyHash(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a 64-digit hex SHA-256"))
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x57
        case 0x41...0x46: c - 0x37
        default: nil
        }
    }
}
