import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL client every use case runs on, with transactions that hand back domain errors.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs `body` in one transaction; a thrown `DomainError` rolls back and is rethrown as is,
    /// PostgreSQL constraint violations become the matching `DomainError`.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            if let closureError = error.closureError { throw Database.translate(closureError) }
            if let commitError = error.commitError { throw Database.translate(commitError) }
            throw Database.translate(error.beginError ?? error)
        } catch {
            throw Database.translate(error)
        }
    }

    /// Runs read-only work on one pooled connection.
    public func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await body(connection)
            }
        } catch {
            throw Database.translate(error)
        }
    }

    /// Maps PostgreSQL error codes to domain errors at the boundary; other errors pass unchanged.
    public static func translate(_ error: any Error) -> any Error {
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else { return error }
        let constraint = psql.serverInfo?[.constraintName] ?? ""
        switch state {
        case "23505":
            return DomainError.conflict(ConstraintMessages.unique[constraint] ?? "A resource with these values already exists.")
        case "23503":
            return DomainError.invalid(ConstraintMessages.foreignKeyField(constraint), "refers to a resource that does not exist")
        case "23514":
            return DomainError.validation([FieldError(ConstraintMessages.checkField(constraint), "is not valid")])
        case _ where state.hasPrefix("22"):
            // Data exceptions (bad encoding, out-of-range values) are caller input PostgreSQL refused.
            return DomainError.validation([FieldError("body", "contains a value PostgreSQL cannot store (\(state))")])
        case "40001", "40P01":
            return DomainError.conflict("The resource was changed concurrently; retry the request.")
        default:
            return error
        }
    }
}

/// Human messages for the unique constraints of `sql/`, keyed by constraint name.
enum ConstraintMessages {
    static let unique: [String: String] = [
        "tenants_slug_key": "A tenant with this slug already exists.",
        "users_email_lower_key": "A user with this e-mail address already exists.",
        "tenant_memberships_pkey": "This user is already a member of the tenant.",
        "teams_tenant_id_slug_key": "A team with this slug already exists in the tenant.",
        "team_memberships_pkey": "This user is already a member of the team.",
        "apis_tenant_id_slug_key": "An API with this slug already exists in the tenant.",
        "api_versions_api_id_version_key": "This API already has a version with this label.",
        "api_versions_live_route_key": "Another live API version already uses this base path on this host.",
        "plans_api_name_key": "This API already has a plan with this name.",
        "applications_team_name_key": "The team already has an application with this name.",
        "api_keys_live_slot_key": "This key slot already holds a key; rotate or revoke it first.",
        "subscriptions_live_key": "This application already has a pending or active subscription to this API version.",
    ]

    static func foreignKeyField(_ constraint: String) -> String {
        // "<table>_<column>_fkey" → "<column>" in camelCase, e.g. "teamId".
        let trimmed = constraint.hasSuffix("_fkey") ? String(constraint.dropLast(5)) : constraint
        for column in ["team_id", "api_version_id", "api_id", "plan_id", "application_id", "user_id", "successor_version_id", "tenant_id"]
        where trimmed.hasSuffix(column) {
            return camelCase(column)
        }
        return "body"
    }

    static let tables = [
        "tenants", "users", "teams", "apis", "api_versions", "plans", "applications", "api_keys", "subscriptions", "personal_access_tokens",
    ]

    /// "<table>_<column>_check" → "<column>" in camelCase.
    static func checkField(_ constraint: String) -> String {
        guard !constraint.isEmpty else { return "body" }
        var name = constraint.replacingOccurrences(of: "_check", with: "")
        if let table = tables.sorted(by: { $0.count > $1.count }).first(where: { name.hasPrefix($0 + "_") }) {
            name = String(name.dropFirst(table.count + 1))
        }
        return camelCase(name)
    }

    static func camelCase(_ snake: String) -> String {
        let parts = snake.split(separator: "_")
        guard let first = parts.first else { return snake }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined().replacingOccurrences(of: "Id", with: "Id")
    }
}
