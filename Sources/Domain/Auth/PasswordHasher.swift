import HummingbirdBcrypt

/// bcrypt password hashing. The cost is configurable so tests can use the minimum
/// while production keeps the default; it is never stored anywhere but in the hash itself.
public struct PasswordHasher: Sendable {
    public var cost: UInt8

    public init(cost: UInt8 = 11) {
        self.cost = cost
    }

    public func hash(_ password: String) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    public func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }

    /// Passwords are at least 10 characters and at most 72 bytes (bcrypt ignores the rest).
    public static func validate(_ password: String?, field: String = "password", into validator: inout Validator) {
        guard let password else { return validator.add(field, "is required") }
        validator.check(password.count >= 10, field, "must be at least 10 characters")
        validator.check(password.utf8.count <= 72, field, "must be at most 72 bytes")
    }
}
