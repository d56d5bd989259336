import Foundation

/// Collects field errors so one response can name every bad field at once.
public struct Validator: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func add(_ field: String, _ message: String) {
        errors.append(FieldError(field, message))
    }

    /// The field name is built only when the check fails (validation of large configurations
    /// runs thousands of passing checks).
    public mutating func check(_ condition: Bool, _ field: @autoclosure () -> String, _ message: String) {
        if !condition { add(field(), message) }
    }

    /// Trims the value and checks its length; returns the trimmed value.
    @discardableResult
    public mutating func text(_ value: String?, _ field: String, required: Bool = true, max: Int = 200) -> String? {
        guard let value else {
            if required { add(field, "is required") }
            return nil
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            if required { add(field, "must not be empty") }
            return required ? nil : ""
        }
        if trimmed.unicodeScalars.count > max { add(field, "must be at most \(max) characters") }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            add(field, "must not contain control characters")
        }
        return trimmed
    }

    @discardableResult
    public mutating func slug(_ value: String?, _ field: String, required: Bool = true) -> String? {
        guard let value else {
            if required { add(field, "is required") }
            return nil
        }
        if !Validator.isSlug(value) {
            add(field, "must be 1-63 lowercase letters, digits or '-', starting with a letter or digit")
            return nil
        }
        return value
    }

    public static func isSlug(_ value: String) -> Bool {
        guard let first = value.utf8.first, value.utf8.count <= 63 else { return false }
        func allowed(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        return allowed(first) && value.utf8.allSatisfy { allowed($0) || $0 == 0x2D }
    }

    /// Derives a slug from a display name ("Echo API v2" → "echo-api-v2"); names without a
    /// letter or digit get a random one.
    public static func slugify(_ name: String) -> String {
        let slug = derivedSlug(name)
        return slug.isEmpty ? "x-" + SecretToken.randomString(bytes: 6).lowercased() : slug
    }

    static func derivedSlug(_ name: String) -> String {
        var out = ""
        var lastDash = true
        for scalar in name.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                out.unicodeScalars.append(scalar)
                lastDash = false
            } else if !lastDash {
                out.append("-")
                lastDash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return String(out.prefix(63))
    }

    public static func isEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".")
            && !parts[1].hasSuffix(".") && value.count <= 320 && !value.contains(where: { $0.isWhitespace })
    }

    /// Throws `DomainError.validation` when any check failed.
    public func finish() throws {
        if !errors.isEmpty { throw DomainError.validation(errors) }
    }
}
