import Crypto
import Foundation

/// Random secrets shown once (`pk_…` API keys, `pat_…` personal tokens, session tokens):
/// 32 random bytes in base62, stored only as their SHA-256.
public struct SecretToken: Sendable {
    /// The full secret, returned to the caller once and never stored.
    public let value: String
    /// SHA-256 of `value`, the only form the database holds.
    public let hash: [UInt8]
    /// A short non-secret prefix shown in lists so people can tell keys apart.
    public let displayPrefix: String

    public static func generate(prefix: String) -> SecretToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let value = prefix + Base62.encode(bytes)
        return SecretToken(value: value)
    }

    public init(value: String) {
        self.value = value
        self.hash = SecretToken.sha256(value)
        // The type prefix ("pk_") and 8 characters of the secret: 47 bits, not enough to guess the rest.
        let typeLength = value.firstIndex(of: "_").map { value.distance(from: value.startIndex, to: $0) + 1 } ?? 0
        self.displayPrefix = String(value.prefix(typeLength + 8))
    }

    public static func sha256(_ value: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(value.utf8)))
    }

    /// A random URL-safe string for CSRF tokens and similar non-stored values.
    public static func randomString(bytes count: Int = 24) -> String {
        var generator = SystemRandomNumberGenerator()
        return Base62.encode((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}

/// Base62 (0-9A-Za-z) keeps keys copy-paste safe: no `+`, `/`, `=` or `-` to break a shell or a header.
public enum Base62 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var digits = bytes
        var output: [UInt8] = []
        var start = digits.firstIndex(where: { $0 != 0 }) ?? digits.count
        while start < digits.count {
            var remainder = 0
            for index in start..<digits.count {
                let accumulator = remainder * 256 + Int(digits[index])
                digits[index] = UInt8(accumulator / 62)
                remainder = accumulator % 62
            }
            output.append(alphabet[remainder])
            while start < digits.count && digits[start] == 0 { start += 1 }
        }
        output.append(contentsOf: repeatElement(alphabet[0], count: bytes.prefix(while: { $0 == 0 }).count))
        return String(decoding: output.reversed(), as: UTF8.self)
    }
}
