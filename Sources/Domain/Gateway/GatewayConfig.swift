import Foundation

/// The published configuration the gateway runs on: the only contract between control plane and
/// data plane. Built by `GatewayConfigLoader` in one consistent read, cached by gateways on disk.
public struct GatewayConfig: Sendable, Codable, Equatable {
    /// Bumped when the shape changes; a gateway refuses snapshots of another format.
    public static let currentFormat = 1

    public struct Route: Sendable, Codable, Equatable {
        public var versionID: UUID
        public var apiID: UUID
        public var tenantID: UUID
        public var apiName: String
        public var version: String
        public var host: String?
        public var basePath: String
        public var state: VersionState
        public var sunsetAt: Date?
        public var deprecatedAt: Date?
        /// Base path of the successor version, for the `Link` header of deprecated versions.
        public var successorBasePath: String?
        public var routing: RoutingConfig

        public init(
            versionID: UUID, apiID: UUID, tenantID: UUID, apiName: String, version: String, host: String?, basePath: String, state: VersionState,
            sunsetAt: Date?, deprecatedAt: Date?, successorBasePath: String?, routing: RoutingConfig
        ) {
            self.versionID = versionID
            self.apiID = apiID
            self.tenantID = tenantID
            self.apiName = apiName
            self.version = version
            self.host = host
            self.basePath = basePath
            self.state = state
            self.sunsetAt = sunsetAt
            self.deprecatedAt = deprecatedAt
            self.successorBasePath = successorBasePath
            self.routing = routing
        }
    }

    public struct Plan: Sendable, Codable, Equatable {
        public var id: UUID
        public var rateLimitPerSecond: Int?
        public var rateLimitPerMinute: Int?
        public var quotaPerDay: Int64?
        public var quotaPerMonth: Int64?

        public init(id: UUID, rateLimitPerSecond: Int?, rateLimitPerMinute: Int?, quotaPerDay: Int64?, quotaPerMonth: Int64?) {
            self.id = id
            self.rateLimitPerSecond = rateLimitPerSecond
            self.rateLimitPerMinute = rateLimitPerMinute
            self.quotaPerDay = quotaPerDay
            self.quotaPerMonth = quotaPerMonth
        }
    }

    public struct Key: Sendable, Codable, Equatable {
        /// SHA-256 of the key.
        public var hash: KeyHash
        public var prefix: String
        public var applicationID: UUID
        public var tenantID: UUID
        /// `active`, `disabled`, or `revoked` (keys revoked within `GatewayConfigLoader.revokedKeyDays`;
        /// older ones are left out and answer like unknown keys).
        public var status: KeyStatus
        public var expiresAt: Date?
        /// When a revoked key was revoked: the gateway stops telling it apart from an unknown key
        /// `revokedKeyDays` later even if no reload happens in between.
        public var revokedAt: Date?

        public init(hash: KeyHash, prefix: String, applicationID: UUID, tenantID: UUID, status: KeyStatus, expiresAt: Date?, revokedAt: Date? = nil) {
            self.hash = hash
            self.prefix = prefix
            self.applicationID = applicationID
            self.tenantID = tenantID
            self.status = status
            self.expiresAt = expiresAt
            self.revokedAt = revokedAt
        }
    }

    public struct Subscription: Sendable, Codable, Equatable {
        public var id: UUID
        public var applicationID: UUID
        public var versionID: UUID
        public var planID: UUID
        /// `active`, `pending` or `suspended`: the gateway serves active ones and names the others in its 403.
        public var state: SubscriptionState

        public init(id: UUID, applicationID: UUID, versionID: UUID, planID: UUID, state: SubscriptionState) {
            self.id = id
            self.applicationID = applicationID
            self.versionID = versionID
            self.planID = planID
            self.state = state
        }
    }

    public var format: Int
    public var revision: Int64
    public var generatedAt: Date
    public var routes: [Route]
    public var plans: [Plan]
    public var keys: [Key]
    public var subscriptions: [Subscription]

    public init(revision: Int64, generatedAt: Date, routes: [Route], plans: [Plan], keys: [Key], subscriptions: [Subscription]) {
        self.format = Self.currentFormat
        self.revision = revision
        self.generatedAt = generatedAt
        self.routes = routes
        self.plans = plans
        self.keys = keys
        self.subscriptions = subscriptions
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unsupportedFormat(Int)
        case inconsistent(String)

        public var description: String {
            switch self {
            case .unsupportedFormat(let format): "snapshot format \(format) is not \(GatewayConfig.currentFormat)"
            case .inconsistent(let what): "snapshot is inconsistent: \(what)"
            }
        }
    }

    /// Rejects malformed or partial snapshots before they replace a good one: every reference must
    /// resolve and every route must have a valid upstream.
    public func validate() throws {
        guard format == Self.currentFormat else { throw Problem.unsupportedFormat(format) }
        guard revision > 0 else { throw Problem.inconsistent("revision \(revision)") }
        let versions = Set(routes.map(\.versionID))
        guard versions.count == routes.count else { throw Problem.inconsistent("duplicate routes") }
        let planIDs = Set(plans.map(\.id))
        for subscription in subscriptions {
            guard versions.contains(subscription.versionID) else { throw Problem.inconsistent("subscription \(subscription.id) without its route") }
            guard planIDs.contains(subscription.planID) else { throw Problem.inconsistent("subscription \(subscription.id) without its plan") }
        }
        // Many versions share one routing (same upstreams and settings): each distinct one is checked once.
        var validRoutings = Set<RoutingConfig>()
        for route in routes where route.state != .retired && !validRoutings.contains(route.routing) {
            var validator = Validator()
            route.routing.validate(into: &validator)
            if !validator.errors.isEmpty { throw Problem.inconsistent("route \(route.basePath): \(validator.errors.map(\.field))") }
            validRoutings.insert(route.routing)
        }
    }
}
