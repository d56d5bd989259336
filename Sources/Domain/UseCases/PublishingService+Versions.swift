import Foundation
import Logging
import PostgresNIO

extension PublishingService {
    public struct VersionInput: Sendable {
        public var version: String?
        public var basePath: String?
        /// `.some(nil)` clears the host on update.
        public var host: String??
        public var routing: RoutingConfig?
        public var openAPI: String?

        public init(version: String? = nil, basePath: String? = nil, host: String?? = nil, routing: RoutingConfig? = nil, openAPI: String? = nil) {
            self.version = version
            self.basePath = basePath
            self.host = host
            self.routing = routing
            self.openAPI = openAPI
        }
    }

    public func createVersion(_ actor: Actor, apiID: UUID, _ input: VersionInput) async throws -> APIVersion {
        var validator = Validator()
        let label = validator.text(input.version, "version", max: 32) ?? ""
        if !label.isEmpty {
            validator.check(label.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"#, options: .regularExpression) != nil, "version",
                "must be 1-32 letters, digits, '.', '_' or '-' (for example v1 or 2.0)")
        }
        let basePath = Self.validateBasePath(input.basePath, into: &validator, required: true)
        let host = Self.validateHost(input.host ?? nil, into: &validator)
        if let routing = input.routing { routing.validate(into: &validator) } else { validator.add("routing", "is required") }
        var document: OpenAPIDocument?
        if let text = input.openAPI {
            do { document = try OpenAPIDocument(text: text, field: "openapi") } catch DomainError.validation(let errors) {
                errors.forEach { validator.add($0.field, $0.message) }
            }
        }
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            let api = try await Self.findAPI(id: apiID, actor: actor, on: connection, logger: logger, lock: true)
            try Self.requireMaintainer(actor, of: api)
            let id = try await connection.query(
                """
                INSERT INTO api_versions (tenant_id, api_id, version, host, base_path, routing, openapi)
                VALUES (\(api.tenantID), \(apiID), \(label), \(host), \(basePath!), \(input.routing!), \(document?.json)::jsonb) RETURNING id
                """, logger: logger
            ).first { try $0.get("id", as: UUID.self) }!
            let version = try await Self.findVersion(id: id, actor: actor, on: connection, logger: logger).version
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: api.tenantID, action: "version.created", targetType: "api_version",
                targetID: id.uuidString, after: version)
            return version
        }
    }

    /// Versions of an API, oldest first. People outside the owning team do not see drafts.
    public func listVersions(_ actor: Actor, apiID: UUID) async throws -> [APIVersion] {
        let logger = logger
        return try await database.read { connection in
            let api = try await Self.findAPI(id: apiID, actor: actor, on: connection, logger: logger)
            let includeDrafts = actor.canDevelop(forTeam: api.teamID)
            return try await connection.query(
                """
                SELECT \(unescaped: VersionColumns.select) FROM api_versions v
                WHERE v.api_id = \(apiID) AND (\(includeDrafts) OR v.state <> 'draft') ORDER BY v.id
                """, logger: logger
            ).all(VersionColumns.decode)
        }
    }

    public func getVersion(_ actor: Actor, id: UUID) async throws -> (version: APIVersion, api: API) {
        let logger = logger
        return try await database.read { try await Self.findVersion(id: id, actor: actor, on: $0, logger: logger) }
    }

    /// Edits a draft; a published version's routing is frozen.
    public func updateVersion(_ actor: Actor, id: UUID, _ input: VersionInput) async throws -> APIVersion {
        var validator = Validator()
        validator.check(input.version == nil, "version", "cannot be changed; create a new version instead")
        let basePath = Self.validateBasePath(input.basePath, into: &validator, required: false)
        let host: String?? = input.host.map { Self.validateHost($0, into: &validator) }
        input.routing?.validate(into: &validator)
        var document: OpenAPIDocument?
        if let text = input.openAPI {
            do { document = try OpenAPIDocument(text: text, field: "openapi") } catch DomainError.validation(let errors) {
                errors.forEach { validator.add($0.field, $0.message) }
            }
        }
        try validator.finish()
        let logger = logger
        return try await database.transaction { connection in
            let (before, api) = try await Self.findVersion(id: id, actor: actor, on: connection, logger: logger, lock: true)
            try Self.requireMaintainer(actor, of: api)
            _ = try VersionLifecycle.apply(.edit, to: before.state)
            let newHost: String? = host.map { $0 } ?? before.host
            try await connection.query(
                """
                UPDATE api_versions SET base_path = \(basePath ?? before.basePath), host = \(newHost),
                    routing = \(input.routing ?? before.routing), openapi = coalesce(\(document?.json)::jsonb, openapi), updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            let after = try await Self.findVersion(id: id, actor: actor, on: connection, logger: logger).version
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: api.tenantID, action: "version.updated", targetType: "api_version",
                targetID: id.uuidString, before: before, after: after)
            return after
        }
    }

    /// Replaces the draft's OpenAPI document after validating it.
    public func importOpenAPI(_ actor: Actor, versionID: UUID, text: String) async throws -> (APIVersion, OpenAPIDocument) {
        let document = try OpenAPIDocument(text: text)
        let logger = logger
        return try await database.transaction { connection in
            let (version, api) = try await Self.findVersion(id: versionID, actor: actor, on: connection, logger: logger, lock: true)
            try Self.requireMaintainer(actor, of: api)
            _ = try VersionLifecycle.apply(.importOpenAPI, to: version.state)
            try await connection.query(
                "UPDATE api_versions SET openapi = \(document.json)::jsonb, updated_at = now() WHERE id = \(versionID)", logger: logger)
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: api.tenantID, action: "version.openapi_imported",
                targetType: "api_version", targetID: versionID.uuidString,
                after: ["title": document.title, "version": document.version, "operations": String(document.operationCount)])
            var updated = version
            updated.hasOpenAPI = true
            return (updated, document)
        }
    }

    /// The stored OpenAPI document as JSON text, or nil when none was imported.
    public func openAPIDocument(_ actor: Actor, versionID: UUID) async throws -> String? {
        let logger = logger
        return try await database.read { connection in
            _ = try await Self.findVersion(id: versionID, actor: actor, on: connection, logger: logger)
            return try await connection.query("SELECT openapi::text AS doc FROM api_versions WHERE id = \(versionID)", logger: logger)
                .first { try $0.get("doc", as: String?.self) } ?? nil
        }
    }

    public func publish(_ actor: Actor, versionID: UUID) async throws -> APIVersion {
        try await transition(actor, versionID: versionID, action: .publish) { connection, _ in
            try await connection.query(
                "UPDATE api_versions SET state = 'published', published_at = now(), updated_at = now() WHERE id = \(versionID)",
                logger: logger)
        }
    }

    /// Deprecates a published version: existing subscriptions keep working until `sunsetAt`, new ones are refused.
    public func deprecate(_ actor: Actor, versionID: UUID, sunsetAt: Date?, successorVersionID: UUID?) async throws -> APIVersion {
        var validator = Validator()
        if let sunsetAt {
            validator.check(sunsetAt > Date(), "sunsetAt", "must be in the future")
        } else {
            validator.add("sunsetAt", "is required: subscribers need to know when the version goes away")
        }
        validator.check(successorVersionID != versionID, "successorVersionId", "must be another version")
        try validator.finish()
        return try await transition(actor, versionID: versionID, action: .deprecate) { connection, version in
            if let successorVersionID {
                let successor = try await connection.query(
                    "SELECT state FROM api_versions WHERE id = \(successorVersionID) AND api_id = \(version.apiID)", logger: logger
                ).first { try $0.get("state", as: String.self) }
                guard successor == VersionState.published.rawValue else {
                    throw DomainError.invalid("successorVersionId", "must be a published version of the same API")
                }
            }
            try await connection.query(
                """
                UPDATE api_versions SET state = 'deprecated', deprecated_at = now(), sunset_at = \(sunsetAt!),
                    successor_version_id = \(successorVersionID), updated_at = now()
                WHERE id = \(versionID)
                """, logger: logger)
        }
    }

    /// Retires a version: the gateway answers 410 Gone from now on. Final.
    public func retire(_ actor: Actor, versionID: UUID) async throws -> APIVersion {
        try await transition(actor, versionID: versionID, action: .retire) { connection, _ in
            try await connection.query(
                "UPDATE api_versions SET state = 'retired', retired_at = now(), updated_at = now() WHERE id = \(versionID)", logger: logger)
        }
    }

    /// Runs one lifecycle transition: lock, check the state machine and the role, update, audit,
    /// and bump the gateway config revision, all in one transaction.
    private func transition(
        _ actor: Actor, versionID: UUID, action: VersionAction,
        _ update: (PostgresConnection, APIVersion) async throws -> Void
    ) async throws -> APIVersion {
        let logger = logger
        return try await database.transaction { connection in
            let (before, api) = try await Self.findVersion(id: versionID, actor: actor, on: connection, logger: logger, lock: true)
            try Self.requireMaintainer(actor, of: api)
            _ = try VersionLifecycle.apply(action, to: before.state)
            try await update(connection, before)
            let after = try await Self.findVersion(id: versionID, actor: actor, on: connection, logger: logger).version
            try await AuditLog.record(
                on: connection, logger: logger, actor: actor, tenantID: api.tenantID, action: "version.\(action.rawValue)",
                targetType: "api_version", targetID: versionID.uuidString, before: before, after: after)
            try await AuditLog.bumpConfigRevision(on: connection, logger: logger)
            return after
        }
    }

    // MARK: Helpers

    static func findVersion(id: UUID, actor: Actor, on connection: PostgresConnection, logger: Logger, lock: Bool = false) async throws
        -> (version: APIVersion, api: API)
    {
        let tenantID = try actor.requireTenant()
        let version = try await connection.query(
            """
            SELECT \(unescaped: VersionColumns.select) FROM api_versions v WHERE v.id = \(id) AND v.tenant_id = \(tenantID)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger
        ).first(VersionColumns.decode)
        guard let version else { throw DomainError.notFound(resource: "API version") }
        let api = try await findAPI(id: version.apiID, actor: actor, on: connection, logger: logger)
        if version.state == .draft && !actor.canDevelop(forTeam: api.teamID) { throw DomainError.notFound(resource: "API version") }
        return (version, api)
    }

    static func validateBasePath(_ path: String?, into validator: inout Validator, required: Bool) -> String? {
        guard let path else {
            if required { validator.add("basePath", "is required") }
            return nil
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let valid = path.hasPrefix("/") && path.count <= 200 && path != "/" && !path.hasSuffix("/")
            && segments.allSatisfy { segment in
                !segment.isEmpty && segment != "." && segment != ".."
                    && segment.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-._~".unicodeScalars.contains($0)) }
            }
        if !valid {
            validator.add("basePath", "must look like /name/v1: starts with /, no trailing /, segments of letters, digits, '-', '.', '_' or '~'")
            return nil
        }
        return path
    }

    static func validateHost(_ host: String?, into validator: inout Validator) -> String? {
        guard let host, !host.isEmpty else { return nil }
        let lowered = host.lowercased()
        let valid = lowered.count <= 253 && lowered.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }
        }
        validator.check(valid, "host", "must be a DNS host name such as api.example.com")
        return valid ? lowered : nil
    }
}
