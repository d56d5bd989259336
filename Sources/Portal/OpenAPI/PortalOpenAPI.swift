import Foundation

/// The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. `OpenAPIRouteTests`
/// fails when a route is missing here or documented but not routed.
enum PortalOpenAPI {
    static let documentData: [UInt8] = {
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return [UInt8](data)
    }()

    static var document: [String: Any] {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Portico API", "version": "1.0.0",
                "description": """
                    The control plane of Portico: tenants, teams, APIs and versions, plans, applications and keys, subscriptions, \
                    the catalog and the audit trail. Authenticate with the bearer token from `POST /auth/login` or a personal API \
                    token (`POST /me/tokens`). Errors are RFC 9457 problem documents. Lists are cursor-paginated: pass \
                    `nextCursor` back as `cursor`.
                    """,
            ],
            "servers": [["url": "/api/v1"]],
            "security": [["bearer": [String]()]],
            "tags": ["auth", "tenants", "teams", "apis", "versions", "plans", "catalog", "applications", "keys", "subscriptions", "audit", "analytics"]
                .map { ["name": $0] },
            "paths": paths,
            "components": [
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer", "description": "Session token from /auth/login or a personal API token (pat_…)"],
                    "cookie": ["type": "apiKey", "in": "cookie", "name": "portico_session",
                        "description": "Browser session; writes also need the X-CSRF-Token header"],
                ],
                "schemas": schemas,
                "responses": errorResponses,
            ],
        ]
    }

    // MARK: Paths

    static var paths: [String: Any] {
        var paths: [String: [String: Any]] = [:]
        func add(_ method: String, _ path: String, _ operation: [String: Any]) {
            paths[path, default: [:]][method] = operation
        }
        let id = pathParameter("id")
        let userId = pathParameter("userId")
        let limit = queryParameter("limit", ["type": "integer", "minimum": 1, "maximum": 100], "Page size (default 20)")
        let paging = [limit, queryParameter("cursor", ["type": "string", "format": "uuid"], "nextCursor of the previous page")]
        let auditPaging = [limit, queryParameter("cursor", ["type": "string", "pattern": "^[0-9]{1,18}$"], "nextCursor of the previous page")]

        // Auth
        add("post", "/auth/login", operation("auth", "login", "Sign in", anonymous: true, body: "LoginRequest",
            responses: ["200": ok("LoginResponse", "Signed in; also sets the HttpOnly session cookie")], errors: [400, 401, 413, 415, 429]))
        add("post", "/auth/logout", operation("auth", "logout", "Sign out (ends this session)", responses: ["204": noContent], errors: [401, 403]))
        add("get", "/me", operation("auth", "getMe", "The caller, their tenants and teams", responses: ["200": ok("Me")], errors: [401]))
        add("get", "/me/tokens", operation("auth", "listTokens", "Personal API tokens", responses: ["200": ok("PersonalTokenList")], errors: [401]))
        add("post", "/me/tokens", operation("auth", "createToken", "Create a personal API token (secret shown once)", body: "CreateTokenRequest",
            responses: ["201": ok("CreatedPersonalToken")]))
        add("delete", "/me/tokens/{id}", operation("auth", "revokeToken", "Revoke a personal API token", parameters: [id], responses: ["204": noContent]))

        // Tenants
        add("get", "/tenants", operation("tenants", "listTenants", "Tenants (all for platform admins, own otherwise)", parameters: paging,
            responses: ["200": ok("TenantList")]))
        add("post", "/tenants", operation("tenants", "createTenant", "Create a tenant with its first admin (platform admins)", body: "CreateTenantRequest",
            responses: ["201": ok("Tenant")]))
        add("get", "/tenants/{id}", operation("tenants", "getTenant", "A tenant", parameters: [id], responses: ["200": ok("Tenant")]))
        add("patch", "/tenants/{id}", operation("tenants", "updateTenant", "Rename a tenant (tenant admins)", parameters: [id], body: "UpdateTenantRequest",
            responses: ["200": ok("Tenant")]))
        add("get", "/tenants/{id}/members", operation("tenants", "listTenantMembers", "Members of a tenant",
            parameters: [id, queryParameter("q", ["type": "string"], "Filter by e-mail or name")] + paging, responses: ["200": ok("TenantMemberList")]))
        add("post", "/tenants/{id}/members", operation("tenants", "addTenantMember",
            "Add a member by e-mail; creates the user when no account exists (then password is required)", parameters: [id], body: "AddTenantMemberRequest",
            responses: ["201": ok("TenantMember")]))
        add("patch", "/tenants/{id}/members/{userId}", operation("tenants", "updateTenantMember", "Change a member's role", parameters: [id, userId],
            body: "TenantRoleRequest", responses: ["200": ok("TenantMember")]))
        add("delete", "/tenants/{id}/members/{userId}", operation("tenants", "removeTenantMember", "Remove a member (and their team memberships)",
            parameters: [id, userId], responses: ["204": noContent]))

        // Teams
        add("get", "/teams", operation("teams", "listTeams", "Teams of the tenant",
            parameters: [queryParameter("mine", ["type": "boolean"], "Only teams the caller belongs to")] + paging, responses: ["200": ok("TeamList")]))
        add("post", "/teams", operation("teams", "createTeam", "Create a team (tenant admins)", body: "TeamInput", responses: ["201": ok("Team")]))
        add("get", "/teams/{id}", operation("teams", "getTeam", "A team", parameters: [id], responses: ["200": ok("Team")]))
        add("patch", "/teams/{id}", operation("teams", "updateTeam", "Change a team's name or description", parameters: [id], body: "TeamUpdate",
            responses: ["200": ok("Team")]))
        add("delete", "/teams/{id}", operation("teams", "deleteTeam", "Delete a team that owns no APIs or applications", parameters: [id],
            responses: ["204": noContent]))
        add("get", "/teams/{id}/members", operation("teams", "listTeamMembers", "Members of a team", parameters: [id] + paging,
            responses: ["200": ok("TeamMemberList")]))
        add("post", "/teams/{id}/members", operation("teams", "addTeamMember", "Add a tenant member to the team", parameters: [id],
            body: "AddTeamMemberRequest", responses: ["201": ok("TeamMember")]))
        add("patch", "/teams/{id}/members/{userId}", operation("teams", "updateTeamMember", "Change a team member's role", parameters: [id, userId],
            body: "TeamRoleRequest", responses: ["200": ok("TeamMember")]))
        add("delete", "/teams/{id}/members/{userId}", operation("teams", "removeTeamMember", "Remove a team member", parameters: [id, userId],
            responses: ["204": noContent]))

        // APIs
        add("get", "/apis", operation("apis", "listApis", "APIs of the tenant the caller may see, newest first",
            parameters: [queryParameter("teamId", ["type": "string", "format": "uuid"], "Owning team"),
                queryParameter("q", ["type": "string"], "Text search (prefix match)"), queryParameter("tag", ["type": "string"], "Tag")] + paging,
            responses: ["200": ok("ApiList")]))
        add("post", "/apis", operation("apis", "createApi", "Create an API (team maintainers)", body: "CreateApiRequest", responses: ["201": ok("Api")]))
        add("get", "/apis/{id}", operation("apis", "getApi", "An API", parameters: [id], responses: ["200": ok("Api")]))
        add("patch", "/apis/{id}", operation("apis", "updateApi", "Change name, description, tags or visibility", parameters: [id], body: "UpdateApiRequest",
            responses: ["200": ok("Api")]))
        add("delete", "/apis/{id}", operation("apis", "deleteApi", "Delete an API that never published a version", parameters: [id],
            responses: ["204": noContent]))
        add("get", "/apis/{id}/versions", operation("versions", "listVersions", "Versions of an API (drafts only for its team)", parameters: [id],
            responses: ["200": ok("VersionList")]))
        add("post", "/apis/{id}/versions", operation("versions", "createVersion", "Create a draft version", parameters: [id], body: "CreateVersionRequest",
            responses: ["201": ok("Version")]))
        add("get", "/apis/{id}/plans", operation("plans", "listPlans", "Plans of an API (closed ones only for its team)", parameters: [id],
            responses: ["200": ok("PlanList")]))
        add("post", "/apis/{id}/plans", operation("plans", "createPlan", "Create a plan", parameters: [id], body: "PlanInput",
            responses: ["201": ok("Plan")]))

        // Versions
        add("get", "/versions/{id}", operation("versions", "getVersion", "A version", parameters: [id], responses: ["200": ok("Version")]))
        add("patch", "/versions/{id}", operation("versions", "updateVersion", "Edit a draft version", parameters: [id], body: "UpdateVersionRequest",
            responses: ["200": ok("Version")]))
        add("get", "/versions/{id}/openapi", operation("versions", "getVersionOpenApi", "The version's OpenAPI document", parameters: [id],
            responses: ["200": ["description": "The document", "content": ["application/json": ["schema": ["type": "object"]]]]]))
        add("put", "/versions/{id}/openapi", operation("versions", "importVersionOpenApi",
            "Import (replace) the draft's OpenAPI 3.0/3.1 document; the body is the document itself", parameters: [id],
            rawBody: ref("OpenApiDocument"), responses: ["200": ok("OpenApiImportResult")]))
        add("post", "/versions/{id}/publish", operation("versions", "publishVersion", "Publish a draft: the gateway serves it within a second",
            parameters: [id], responses: ["200": ok("Version")]))
        add("post", "/versions/{id}/deprecate", operation("versions", "deprecateVersion",
            "Deprecate a published version: existing subscriptions keep working until the sunset date, new ones are refused", parameters: [id],
            body: "DeprecateRequest", responses: ["200": ok("Version")]))
        add("post", "/versions/{id}/retire", operation("versions", "retireVersion", "Retire a deprecated version: the gateway answers 410",
            parameters: [id], responses: ["200": ok("Version")]))

        // Plans
        add("get", "/plans/{id}", operation("plans", "getPlan", "A plan", parameters: [id], responses: ["200": ok("Plan")]))
        add("patch", "/plans/{id}", operation("plans", "updatePlan", "Change a plan; null removes a limit", parameters: [id], body: "PlanUpdate",
            responses: ["200": ok("Plan")]))
        add("post", "/plans/{id}/close", operation("plans", "closePlan", "Close a plan to new subscriptions", parameters: [id],
            responses: ["200": ok("Plan")]))

        // Catalog
        add("get", "/catalog", operation("catalog", "searchCatalog", "Browse APIs; signed-out callers see public APIs", anonymous: true,
            parameters: [queryParameter("q", ["type": "string", "maxLength": 200], "Text search (prefix match on name, tags, description)"),
                queryParameter("tag", ["type": "string"], "Only APIs with this tag"),
                queryParameter("includeDeprecated", ["type": "boolean"], "Also list APIs whose latest version is deprecated")] + paging,
            responses: ["200": ok("CatalogList")], errors: [400, 401]))
        add("get", "/catalog/tags", operation("catalog", "catalogTags", "Tags in use, with counts", anonymous: true,
            responses: ["200": ok("TagCountList")], errors: [401]))
        add("get", "/catalog/{id}", operation("catalog", "catalogApi", "One API with its versions and active plans", anonymous: true,
            parameters: [id], responses: ["200": ok("CatalogDetail")], errors: [401, 404]))
        add("get", "/catalog/{id}/versions/{versionId}/openapi", operation("catalog", "catalogOpenApi", "OpenAPI document of a published version",
            anonymous: true, parameters: [id, pathParameter("versionId")],
            responses: ["200": ["description": "The document", "content": ["application/json": ["schema": ["type": "object"]]]]], errors: [401, 404]))

        // Applications and keys
        add("get", "/applications", operation("applications", "listApplications", "Applications of the caller's teams",
            parameters: [queryParameter("teamId", ["type": "string", "format": "uuid"], "Owning team")] + paging,
            responses: ["200": ok("ApplicationList")]))
        add("post", "/applications", operation("applications", "createApplication", "Create an application", body: "CreateApplicationRequest",
            responses: ["201": ok("Application")]))
        add("get", "/applications/{id}", operation("applications", "getApplication", "An application", parameters: [id],
            responses: ["200": ok("Application")]))
        add("patch", "/applications/{id}", operation("applications", "updateApplication", "Rename or describe an application", parameters: [id],
            body: "UpdateApplicationRequest", responses: ["200": ok("Application")]))
        add("get", "/applications/{id}/keys", operation("keys", "listKeys", "Keys of an application (never their secrets)",
            parameters: [id, queryParameter("includeRevoked", ["type": "boolean"], "Include revoked keys")], responses: ["200": ok("KeyList")]))
        add("post", "/applications/{id}/keys", operation("keys", "createKey", "Issue a key into an empty slot; the secret is shown once",
            parameters: [id], body: "CreateKeyRequest", responses: ["201": ok("IssuedKey")]))
        add("post", "/keys/{id}/rotate", operation("keys", "rotateKey", "Replace a key (same slot); the old key stops working at once",
            parameters: [id], body: "RotateKeyRequest", responses: ["201": ok("IssuedKey")]))
        for (action, summary) in [("disable", "Disable a key (reversible)"), ("enable", "Enable a disabled key"), ("revoke", "Revoke a key (final)")] {
            add("post", "/keys/{id}/\(action)", operation("keys", "\(action)Key", summary, parameters: [id], responses: ["200": ok("Key")]))
        }

        // Subscriptions
        add("get", "/subscriptions", operation("subscriptions", "listSubscriptions",
            "Subscriptions of the caller's applications (scope=consumer) or to APIs they maintain (scope=publisher)",
            parameters: [
                queryParameter("scope", ["type": "string", "enum": ["consumer", "publisher"]], "Whose subscriptions"),
                queryParameter("state", ["type": "string", "enum": subscriptionStates], "State"),
                queryParameter("applicationId", ["type": "string", "format": "uuid"], "Application"),
                queryParameter("apiId", ["type": "string", "format": "uuid"], "API"),
                queryParameter("apiVersionId", ["type": "string", "format": "uuid"], "API version"),
            ] + paging, responses: ["200": ok("SubscriptionList")]))
        add("post", "/subscriptions", operation("subscriptions", "requestSubscription",
            "Request a subscription; plans without approval become active at once", body: "SubscriptionRequest",
            responses: ["201": ok("Subscription")]))
        add("get", "/subscriptions/inbox", operation("subscriptions", "subscriptionInbox", "Pending requests the caller can decide, oldest first",
            parameters: [queryParameter("apiId", ["type": "string", "format": "uuid"], "API")] + paging, responses: ["200": ok("SubscriptionList")]))
        add("get", "/subscriptions/{id}", operation("subscriptions", "getSubscription", "A subscription", parameters: [id],
            responses: ["200": ok("Subscription")]))
        add("get", "/subscriptions/{id}/decisions", operation("subscriptions", "subscriptionDecisions", "Every decision on a subscription",
            parameters: [id], responses: ["200": ok("DecisionList")]))
        for (action, summary) in [
            ("approve", "Approve a pending request (API maintainers)"), ("reject", "Reject a pending request; reason required"),
            ("suspend", "Suspend an active subscription; reason required"), ("resume", "Resume a suspended subscription"),
            ("revoke", "Revoke a subscription (final); reason required"), ("cancel", "Cancel (consumer side)"),
        ] {
            add("post", "/subscriptions/{id}/\(action)", operation("subscriptions", "\(action)Subscription", summary, parameters: [id],
                body: "DecisionRequest", responses: ["200": ok("Subscription")]))
        }

        // Audit
        add("get", "/audit-events", operation("audit", "listAuditEvents", "The audit trail, newest first",
            parameters: [
                queryParameter("targetType", ["type": "string"], "e.g. subscription, api_key, api_version"),
                queryParameter("targetId", ["type": "string"], "Target id"),
                queryParameter("actorId", ["type": "string", "format": "uuid"], "Acting user"),
                queryParameter("action", ["type": "string"], "Exact action (subscription.approve) or prefix (subscription)"),
                queryParameter("from", ["type": "string", "format": "date-time"], "From (inclusive)"),
                queryParameter("to", ["type": "string", "format": "date-time"], "To (exclusive)"),
            ] + auditPaging, responses: ["200": ok("AuditEventList")]))

        // Analytics and call log
        let scope = [
            queryParameter("apiId", ["type": "string", "format": "uuid"], "An API you maintain"),
            queryParameter("applicationId", ["type": "string", "format": "uuid"], "One of your applications"),
            queryParameter("from", ["type": "string", "format": "date-time"], "Start (default: 24 hours ago)"),
            queryParameter("to", ["type": "string", "format": "date-time"], "End (default: now)"),
        ]
        add("get", "/analytics/summary", operation("analytics", "trafficSummary", "Requests, errors and latency percentiles over a range",
            parameters: scope, responses: ["200": ok("TrafficSummary")]))
        add("get", "/analytics/timeseries", operation("analytics", "trafficTimeseries", "Traffic over time (resolution follows the range)",
            parameters: scope, responses: ["200": ok("TrafficTimeseries")]))
        add("get", "/analytics/consumers", operation("analytics", "topConsumers", "Applications with the most calls",
            parameters: scope + [queryParameter("limit", ["type": "integer", "minimum": 1, "maximum": 100], "How many")],
            responses: ["200": ok("ConsumerTrafficList")]))
        add("get", "/analytics/status-codes", operation("analytics", "statusCodes", "Calls by HTTP status",
            parameters: scope, responses: ["200": ok("StatusCountList")]))
        let logFilters = scope + [
            queryParameter("status", ["type": "integer", "minimum": 100, "maximum": 599], "Exact status"),
            queryParameter("statusClass", ["type": "integer", "minimum": 1, "maximum": 5], "2 for 2xx, 4 for 4xx, 5 for 5xx"),
            queryParameter("path", ["type": "string", "maxLength": 500], "Path prefix"),
        ]
        add("get", "/logs", operation("analytics", "searchCalls", "The call log, newest first",
            parameters: logFilters + [paging[0], queryParameter("cursor", ["type": "string", "pattern": "^[0-9]{1,18}$"], "nextCursor of the previous page")],
            responses: ["200": ok("CallLogList")]))
        add("get", "/logs/export.csv", operation("analytics", "exportCalls", "Up to 50,000 calls as CSV", parameters: logFilters,
            responses: ["200": ["description": "CSV", "content": ["text/csv": ["schema": ["type": "string"]]]]]))
        add("get", "/logs/{requestId}", operation("analytics", "getCall", "One call",
            parameters: [["name": "requestId", "in": "path", "required": true, "schema": ["type": "string", "maxLength": 128]],
                queryParameter("ts", ["type": "string", "format": "date-time"], "The call's timestamp (from the search)")],
            responses: ["200": ok("CallLog")]))

        add("get", "/openapi.json", operation("auth", "openApiDocument", "This document", anonymous: true,
            responses: ["200": ["description": "OpenAPI 3.1", "content": ["application/json": ["schema": ["type": "object"]]]]], errors: []))
        return paths
    }

    static let subscriptionStates = ["pending", "active", "rejected", "suspended", "revoked", "cancelled"]

    static func operation(
        _ tag: String, _ id: String, _ summary: String, anonymous: Bool = false, parameters: [[String: Any]] = [], body: String? = nil,
        rawBody: [String: Any]? = nil, responses: [String: Any], errors: [Int]? = nil
    ) -> [String: Any] {
        var operation: [String: Any] = ["tags": [tag], "operationId": id, "summary": summary]
        if !parameters.isEmpty { operation["parameters"] = parameters }
        if let body {
            operation["requestBody"] = ["required": false, "content": ["application/json": ["schema": ref(body)]]]
        } else if let rawBody {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": rawBody]]]
        }
        if anonymous { operation["security"] = [[String: Any](), ["bearer": [String]()]] }
        var all = responses
        for code in errors ?? [400, 401, 403, 404, 409, 413, 415] {
            all[String(code)] = ["$ref": "#/components/responses/E\(code)"]
        }
        operation["responses"] = all
        return operation
    }

    static func ok(_ schema: String, _ description: String = "OK") -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": ref(schema)]]]
    }

    static var noContent: [String: Any] { ["description": "Done"] }

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static func pathParameter(_ name: String) -> [String: Any] {
        ["name": name, "in": "path", "required": true, "schema": ["type": "string", "format": "uuid"]]
    }

    static func queryParameter(_ name: String, _ schema: [String: Any], _ description: String) -> [String: Any] {
        ["name": name, "in": "query", "required": false, "schema": schema, "description": description]
    }

    static var errorResponses: [String: Any] {
        let descriptions = [
            400: "Invalid input; `errors` names each field", 401: "Not signed in, or the token is unknown or expired",
            403: "Not allowed (role, or missing CSRF token for cookie sessions)", 404: "No such resource, or not visible to the caller",
            409: "Conflict: duplicate, or a transition the current state does not allow (`currentState`)", 413: "Body too large",
            415: "Body must be application/json", 429: "Too many failed sign-ins; see Retry-After",
        ]
        var responses: [String: Any] = [:]
        for (code, description) in descriptions {
            responses["E\(code)"] = ["description": description, "content": ["application/problem+json": ["schema": ref("Problem")]]]
        }
        return responses
    }

    // MARK: Schemas

    static var uuid: [String: Any] { ["type": "string", "format": "uuid"] }
    static var dateTime: [String: Any] { ["type": "string", "format": "date-time"] }
    /// An expiry a client sets: a schema cannot say "after now", so the description does (a past one is a 400).
    static var futureDateTime: [String: Any] { ["type": "string", "format": "date-time", "description": "Must be in the future; a past time is refused (400)."] }
    static var string: [String: Any] { ["type": "string"] }
    static var bool: [String: Any] { ["type": "boolean"] }
    static var integer: [String: Any] { ["type": "integer"] }

    static func object(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        var schema: [String: Any] = ["type": "object", "properties": properties]
        if !required.isEmpty { schema["required"] = required }
        return schema
    }

    static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }

    /// A request body: optional properties also accept null, which the portal treats as absent.
    static func input(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        var nullableProperties: [String: Any] = [:]
        for (name, property) in properties {
            guard !required.contains(name), let property = property as? [String: Any] else {
                nullableProperties[name] = property
                continue
            }
            nullableProperties[name] = nullable(property)
        }
        return object(nullableProperties, required: required)
    }

    /// Free text as the portal accepts it: no control characters, not blank, at most `max` characters.
    static func text(_ max: Int, required: Bool = true) -> [String: Any] {
        var schema: [String: Any] = ["type": "string", "maxLength": max, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"]
        if required { schema["pattern"] = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$" }
        return schema
    }

    static var slugSchema: [String: Any] { ["type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"] }
    static var emailSchema: [String: Any] { ["type": "string", "format": "email", "maxLength": 320] }

    /// The same object with every property also accepting null (PATCH bodies: null leaves a field unchanged).
    static func patch(_ schema: [String: Any]) -> [String: Any] {
        var schema = schema
        schema["required"] = nil
        if let properties = schema["properties"] as? [String: [String: Any]] {
            schema["properties"] = properties.mapValues(nullable)
        }
        return schema
    }

    static func nullable(_ schema: [String: Any]) -> [String: Any] {
        var schema = schema
        // A format applies to strings only, and generators (schemathesis) drop it for a type list, so
        // `["string", "null"]` with `date-time` produced "" as a valid date: keep such schemas whole.
        if schema["format"] != nil { return ["anyOf": [schema, ["type": "null"]]] }
        if let type = schema["type"] as? String {
            schema["type"] = [type, "null"]
            if let values = schema["enum"] as? [Any] { schema["enum"] = values + [NSNull()] }
            return schema
        }
        if schema["type"] == nil { return ["anyOf": [schema, ["type": "null"]]] }
        return schema
    }

    static func list(_ item: String) -> [String: Any] {
        object(["items": array(ref(item)), "nextCursor": string], required: ["items"])
    }

    static var schemas: [String: Any] {
        let routing = object(
            [
                "targets": ["type": "array", "items": ref("UpstreamTarget"), "minItems": 1, "maxItems": 64],
                "loadBalancing": ["type": "string", "enum": ["round_robin", "weighted", "least_connections", "ip_hash"], "default": "round_robin"],
                "connectTimeoutMs": ["type": "integer", "minimum": 1, "maximum": 60000, "default": 2000],
                "readTimeoutMs": ["type": "integer", "minimum": 1, "maximum": 600000, "default": 30000],
                "retries": ["type": "integer", "minimum": 0, "maximum": 5, "default": 1],
                "stripPrefix": ["type": "boolean", "default": true],
                "healthCheck": ref("HealthCheck"),
                "faultInjection": ref("FaultInjection"),
                "methods": [
                    "type": ["array", "null"], "minItems": 1, "maxItems": 20, "uniqueItems": true,
                    "items": ["type": "string", "pattern": "^[A-Z_-][A-Z0-9_-]{0,31}$"],
                    "description": "Methods the version serves; omitted or null serves every method. GET implies HEAD; others get 405 with Allow.",
                ],
                "cors": [
                    "type": ["object", "null"], "required": ["allowedOrigins"],
                    "description": "Browser calls from other origins: the gateway answers preflights (no key needed) and adds Access-Control-* to every answer for an allowed origin, replacing the upstream's. Omitted or null: no CORS headers are added.",
                    "properties": [
                        "allowedOrigins": [
                            "type": "array", "minItems": 1, "maxItems": 50, "items": ["type": "string", "examples": ["https://app.example.com", "*"]],
                        ],
                        "maxAgeSeconds": ["type": "integer", "minimum": 0, "maximum": 86400, "default": 600],
                    ],
                ],
            ], required: ["targets"])
        let user = object(
            ["id": uuid, "email": string, "displayName": string, "isPlatformAdmin": bool, "createdAt": dateTime],
            required: ["id", "email", "displayName", "isPlatformAdmin", "createdAt"])
        let tenantRef = object(["id": uuid, "slug": string, "name": string, "role": string], required: ["id", "slug", "name", "role"])
        let me = object(
            ["user": ref("User"), "tenant": tenantRef, "tenants": array(tenantRef), "teams": array(tenantRef), "csrfToken": string],
            required: ["user", "tenants", "teams"])
        let plan: [String: Any] = object(
            [
                "id": uuid, "apiId": uuid, "name": string, "description": string, "rateLimitPerSecond": integer, "rateLimitPerMinute": integer,
                "quotaPerDay": integer, "quotaPerMonth": integer, "approvalRequired": bool, "state": ["type": "string", "enum": ["active", "closed"]],
                "createdAt": dateTime, "updatedAt": dateTime,
            ], required: ["id", "apiId", "name", "description", "approvalRequired", "state", "createdAt", "updatedAt"])
        let limit = { (max: Int) -> [String: Any] in ["type": ["integer", "null"], "minimum": 1, "maximum": max] }
        let planInput = input([
            "name": text(100), "description": text(2000, required: false), "rateLimitPerSecond": limit(1_000_000),
            "rateLimitPerMinute": limit(60_000_000), "quotaPerDay": limit(1_000_000_000_000), "quotaPerMonth": limit(1_000_000_000_000),
            "approvalRequired": bool,
        ], required: ["name"])
        let catalogVersion = object(
            [
                "id": uuid, "version": string, "state": ["type": "string", "enum": ["draft", "published", "deprecated", "retired"]], "basePath": string,
                "host": string, "sunsetAt": dateTime, "successorVersionId": uuid, "publishedAt": dateTime, "hasOpenApi": bool, "gatewayUrl": string,
            ], required: ["id", "version", "state", "basePath", "hasOpenApi", "gatewayUrl"])
        let version = object(
            [
                "id": uuid, "apiId": uuid, "version": string, "host": string, "basePath": string,
                "state": ["type": "string", "enum": ["draft", "published", "deprecated", "retired"]], "routing": ref("RoutingConfig"),
                "hasOpenApi": bool, "sunsetAt": dateTime, "successorVersionId": uuid, "publishedAt": dateTime, "deprecatedAt": dateTime,
                "retiredAt": dateTime, "createdAt": dateTime, "updatedAt": dateTime,
            ], required: ["id", "apiId", "version", "basePath", "state", "routing", "hasOpenApi", "createdAt", "updatedAt"])
        let api = object(
            [
                "id": uuid, "tenantId": uuid, "teamId": uuid, "teamName": string, "slug": string, "name": string, "description": string,
                "tags": array(string), "visibility": ["type": "string", "enum": ["public", "tenant", "team"]], "createdAt": dateTime, "updatedAt": dateTime,
            ], required: ["id", "tenantId", "teamId", "teamName", "slug", "name", "description", "tags", "visibility", "createdAt", "updatedAt"])
        let key = object(
            [
                "id": uuid, "applicationId": uuid, "slot": ["type": "string", "enum": ["primary", "secondary"]], "prefix": string,
                "status": ["type": "string", "enum": ["active", "disabled", "revoked"]], "expired": bool, "expiresAt": dateTime, "createdAt": dateTime,
                "revokedAt": dateTime,
            ], required: ["id", "applicationId", "slot", "prefix", "status", "expired", "createdAt"])
        var subscriptionProperties: [String: Any] = [:]
        for name in ["id", "applicationId", "teamId", "apiId", "apiTeamId", "apiVersionId", "planId"] { subscriptionProperties[name] = uuid }
        for name in ["applicationName", "teamName", "apiName", "apiTeamName", "version", "planName", "requestNote"] { subscriptionProperties[name] = string }
        subscriptionProperties["state"] = ["type": "string", "enum": subscriptionStates]
        subscriptionProperties["requestedBy"] = uuid
        subscriptionProperties["requestedByName"] = string
        subscriptionProperties["requestedAt"] = dateTime
        subscriptionProperties["decidedBy"] = uuid
        subscriptionProperties["decidedByName"] = string
        subscriptionProperties["decidedAt"] = dateTime
        subscriptionProperties["decisionReason"] = string
        subscriptionProperties["updatedAt"] = dateTime
        let tags: [String: Any] = ["type": "array", "maxItems": 20, "items": ["type": "string", "pattern": "^[A-Za-z0-9._-]{1,40}$"]]
        let memberInput = input([
            "email": emailSchema, "displayName": text(200, required: false), "password": ["type": "string", "minLength": 10, "maxLength": 72],
            "role": ["type": "string", "enum": ["admin", "member"]],
        ], required: ["email"])
        let versionInputProperties: [String: Any] = [
            "version": ["type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"],
            "basePath": ["type": "string", "maxLength": 200, "pattern": "^(/[A-Za-z0-9._~-]+)+$"],
            "host": ["type": ["string", "null"], "maxLength": 253, "pattern": "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"],
            "routing": ref("RoutingConfig"), "openapi": ref("OpenApiDocument"),
        ]

        return [
            "OpenApiDocument": object(
                [
                    "openapi": ["type": "string", "pattern": "^3\\.[01]\\.[0-9]+$"],
                    "info": object(["title": ["type": "string", "minLength": 1, "pattern": "\\S"], "version": string], required: ["title", "version"]),
                    "paths": ["type": "object", "additionalProperties": ["type": "object"], "propertyNames": ["pattern": "^/"]],
                ], required: ["openapi", "info", "paths"]),
            "Problem": object(
                [
                    "type": ["type": "string", "format": "uri"], "title": string, "status": integer, "detail": string, "instance": string,
                    "requestId": string, "currentState": string,
                    "errors": array(object(["field": string, "message": string], required: ["field", "message"])),
                ], required: ["type", "title", "status"]),
            "User": user,
            "Me": me,
            "LoginRequest": input(["email": text(320), "password": ["type": "string", "minLength": 1], "tenant": string], required: ["email", "password"]),
            "LoginResponse": object(
                ["token": string, "tokenType": string, "expiresAt": dateTime, "csrfToken": string, "me": ref("Me")],
                required: ["token", "tokenType", "expiresAt", "csrfToken", "me"]),
            "PersonalToken": object(
                [
                    "id": uuid, "name": string, "prefix": string, "tenantId": uuid, "expiresAt": dateTime, "lastUsedAt": dateTime,
                    "revokedAt": dateTime, "createdAt": dateTime,
                ], required: ["id", "name", "prefix", "createdAt"]),
            "PersonalTokenList": list("PersonalToken"),
            "CreatedPersonalToken": object(["token": ref("PersonalToken"), "secret": string], required: ["token", "secret"]),
            "CreateTokenRequest": input(["name": text(100), "expiresAt": futureDateTime], required: ["name"]),
            "Tenant": object(["id": uuid, "slug": string, "name": string, "createdAt": dateTime], required: ["id", "slug", "name", "createdAt"]),
            "TenantList": list("Tenant"),
            "CreateTenantRequest": input(["slug": slugSchema, "name": text(200), "admin": memberInput], required: ["name", "admin"]),
            "UpdateTenantRequest": patch(object(["name": text(200)])),
            "TenantMember": object(["user": ref("User"), "role": string, "joinedAt": dateTime], required: ["user", "role", "joinedAt"]),
            "TenantMemberList": list("TenantMember"),
            "AddTenantMemberRequest": memberInput,
            "TenantRoleRequest": object(["role": ["type": "string", "enum": ["admin", "member"]]], required: ["role"]),
            "TeamRoleRequest": object(["role": ["type": "string", "enum": ["maintainer", "developer"]]], required: ["role"]),
            "Team": object(
                ["id": uuid, "tenantId": uuid, "slug": string, "name": string, "description": string, "createdAt": dateTime],
                required: ["id", "tenantId", "slug", "name", "description", "createdAt"]),
            "TeamList": list("Team"),
            "TeamInput": input(["slug": slugSchema, "name": text(200), "description": text(2000, required: false)], required: ["name"]),
            "TeamUpdate": patch(object(["name": text(200), "description": text(2000, required: false)])),
            "TeamMember": object(
                ["teamId": uuid, "user": ref("User"), "role": ["type": "string", "enum": ["maintainer", "developer"]], "joinedAt": dateTime],
                required: ["teamId", "user", "role", "joinedAt"]),
            "TeamMemberList": list("TeamMember"),
            "AddTeamMemberRequest": input(["userId": uuid, "email": emailSchema, "role": ["type": "string", "enum": ["maintainer", "developer"]]])
                .merging(["anyOf": [["required": ["userId"]], ["required": ["email"]]]]) { $1 },
            "Api": api,
            "ApiList": list("Api"),
            "CreateApiRequest": input(
                [
                    "teamId": uuid, "name": text(200), "slug": slugSchema, "description": text(10000, required: false), "tags": tags,
                    "visibility": ["type": "string", "enum": ["public", "tenant", "team"]],
                ], required: ["teamId", "name"]),
            "UpdateApiRequest": patch(object([
                "name": text(200), "description": text(10000, required: false), "tags": tags,
                "visibility": ["type": "string", "enum": ["public", "tenant", "team"]],
            ])),
            "UpstreamTarget": object(
                ["url": ["type": "string", "format": "uri"], "weight": ["type": "integer", "minimum": 0, "maximum": 10000, "default": 100]],
                required: ["url"]),
            "HealthCheck": object([
                "path": ["type": "string", "pattern": "^/[^\\s]{0,499}$"], "intervalSeconds": integer, "timeoutMs": integer, "unhealthyThreshold": integer, "ejectSeconds": integer,
            ]),
            "FaultInjection": object([
                "delayPercent": ["type": "number", "minimum": 0, "maximum": 100], "delayMs": integer,
                "abortPercent": ["type": "number", "minimum": 0, "maximum": 100], "abortStatus": ["type": "integer", "minimum": 400, "maximum": 599],
            ]),
            "RoutingConfig": routing,
            "Version": version,
            "VersionList": list("Version"),
            "CreateVersionRequest": input(versionInputProperties, required: ["version", "basePath", "routing"]),
            // A version's name never changes (the portal refuses it: publish a new version instead).
            "UpdateVersionRequest": patch(object(versionInputProperties.filter { $0.key != "version" })),
            "OpenApiImportResult": object(
                ["version": ref("Version"), "title": string, "documentVersion": string, "operationCount": integer],
                required: ["version", "title", "documentVersion", "operationCount"]),
            "DeprecateRequest": input(["sunsetAt": futureDateTime, "successorVersionId": uuid], required: ["sunsetAt"]),
            "Plan": plan,
            "PlanList": list("Plan"),
            "PlanInput": planInput,
            "PlanUpdate": patch(planInput),
            "CatalogVersion": catalogVersion,
            "CatalogEntry": object(
                [
                    "id": uuid, "slug": string, "name": string, "description": string, "tags": array(string), "visibility": string, "teamId": uuid,
                    "teamName": string, "tenantSlug": string, "latestVersion": ref("CatalogVersion"),
                ], required: ["id", "slug", "name", "description", "tags", "visibility", "teamId", "teamName", "tenantSlug", "latestVersion"]),
            "CatalogList": list("CatalogEntry"),
            "CatalogDetail": object(
                ["api": ref("CatalogEntry"), "versions": array(ref("CatalogVersion")), "plans": array(ref("Plan"))],
                required: ["api", "versions", "plans"]),
            "TagCount": object(["tag": string, "count": integer], required: ["tag", "count"]),
            "TagCountList": list("TagCount"),
            "Application": object(
                ["id": uuid, "teamId": uuid, "teamName": string, "name": string, "description": string, "createdAt": dateTime, "updatedAt": dateTime],
                required: ["id", "teamId", "teamName", "name", "description", "createdAt", "updatedAt"]),
            "ApplicationList": list("Application"),
            "CreateApplicationRequest": input(["teamId": uuid, "name": text(200), "description": text(2000, required: false)], required: ["teamId", "name"]),
            "UpdateApplicationRequest": patch(object(["name": text(200), "description": text(2000, required: false)])),
            "Key": key,
            "KeyList": list("Key"),
            "IssuedKey": object(["key": ref("Key"), "secret": ["type": "string", "description": "Shown once"]], required: ["key", "secret"]),
            "CreateKeyRequest": input(["slot": ["type": "string", "enum": ["primary", "secondary"], "default": "primary"], "expiresAt": futureDateTime]),
            "RotateKeyRequest": input(["expiresAt": futureDateTime]),
            "Subscription": object(
                subscriptionProperties,
                required: [
                    "id", "applicationId", "applicationName", "teamId", "teamName", "apiId", "apiName", "apiTeamId", "apiTeamName", "apiVersionId",
                    "version", "planId", "planName", "state", "requestNote", "requestedAt", "updatedAt",
                ]),
            "SubscriptionList": list("Subscription"),
            "SubscriptionRequest": input(
                ["applicationId": uuid, "apiVersionId": uuid, "planId": uuid, "note": text(2000, required: false)],
                required: ["applicationId", "apiVersionId", "planId"]),
            "DecisionRequest": input(["reason": text(2000, required: false)]),
            "Decision": object(
                [
                    "id": integer, "action": string, "fromState": string, "toState": string, "actorUserId": uuid, "actorName": string,
                    "reason": string, "createdAt": dateTime,
                ], required: ["id", "action", "toState", "createdAt"]),
            "DecisionList": list("Decision"),
            "AuditEvent": object(
                [
                    "id": integer, "actorUserId": uuid, "actorLabel": string, "action": string, "targetType": string, "targetId": string,
                    "before": [String: Any](), "after": [String: Any](), "requestId": string, "clientIp": string, "createdAt": dateTime,
                ], required: ["id", "actorLabel", "action", "targetType", "targetId", "createdAt"]),
            "AuditEventList": list("AuditEvent"),
            "TrafficSummary": object(
                [
                    "from": dateTime, "to": dateTime, "requests": integer, "clientErrors": integer, "serverErrors": integer,
                    "errorRate": ["type": "number"], "p50Ms": ["type": "number"], "p95Ms": ["type": "number"], "p99Ms": ["type": "number"],
                    "averageMs": ["type": "number"],
                ], required: ["from", "to", "requests", "clientErrors", "serverErrors", "errorRate"]),
            "TrafficTimeseries": object(
                [
                    "intervalSeconds": integer,
                    "items": array(object(
                        [
                            "bucket": dateTime, "requests": integer, "clientErrors": integer, "serverErrors": integer, "p50Ms": ["type": "number"],
                            "p95Ms": ["type": "number"], "p99Ms": ["type": "number"],
                        ], required: ["bucket", "requests", "clientErrors", "serverErrors"])),
                ], required: ["intervalSeconds", "items"]),
            "ConsumerTraffic": object(
                ["applicationId": uuid, "applicationName": string, "teamName": string, "requests": integer, "errors": integer],
                required: ["applicationId", "applicationName", "teamName", "requests", "errors"]),
            "ConsumerTrafficList": list("ConsumerTraffic"),
            "StatusCount": object(["status": integer, "count": integer], required: ["status", "count"]),
            "StatusCountList": list("StatusCount"),
            "CallLog": object(
                [
                    "timestamp": dateTime, "requestId": string, "apiId": uuid, "apiName": string, "apiVersionId": uuid, "version": string,
                    "applicationId": uuid, "applicationName": string, "subscriptionId": uuid, "keyPrefix": string, "method": string, "path": string,
                    "status": integer, "upstreamTarget": string, "attempts": integer, "bytesIn": integer, "bytesOut": integer, "totalMs": ["type": "number"],
                    "upstreamMs": ["type": "number"], "clientIp": string, "userAgent": string, "errorKind": string,
                ], required: ["timestamp", "requestId", "method", "path", "status", "attempts", "bytesIn", "bytesOut", "totalMs"]),
            "CallLogList": list("CallLog"),
        ]
    }
}
