import Domain
import Foundation
import Hummingbird

struct APIResponse: ResponseEncodable, Sendable {
    var id: UUID
    var tenantId: UUID
    var teamId: UUID
    var teamName: String
    var slug: String
    var name: String
    var description: String
    var tags: [String]
    var visibility: String
    var createdAt: Date
    var updatedAt: Date

    init(_ api: API) {
        id = api.id
        tenantId = api.tenantID
        teamId = api.teamID
        teamName = api.teamName
        slug = api.slug
        name = api.name
        description = api.description
        tags = api.tags
        visibility = api.visibility.rawValue
        createdAt = api.createdAt
        updatedAt = api.updatedAt
    }
}

struct VersionResponse: ResponseEncodable, Sendable {
    var id: UUID
    var apiId: UUID
    var version: String
    var host: String?
    var basePath: String
    var state: String
    var routing: RoutingConfig
    var hasOpenApi: Bool
    var sunsetAt: Date?
    var successorVersionId: UUID?
    var publishedAt: Date?
    var deprecatedAt: Date?
    var retiredAt: Date?
    var createdAt: Date
    var updatedAt: Date

    init(_ version: APIVersion) {
        id = version.id
        apiId = version.apiID
        self.version = version.version
        host = version.host
        basePath = version.basePath
        state = version.state.rawValue
        routing = version.routing
        hasOpenApi = version.hasOpenAPI
        sunsetAt = version.sunsetAt
        successorVersionId = version.successorVersionID
        publishedAt = version.publishedAt
        deprecatedAt = version.deprecatedAt
        retiredAt = version.retiredAt
        createdAt = version.createdAt
        updatedAt = version.updatedAt
    }
}

struct OpenAPIImportResponse: ResponseEncodable, Sendable {
    var version: VersionResponse
    var title: String
    var documentVersion: String
    var operationCount: Int
}

struct PlanResponse: ResponseEncodable, Sendable {
    var id: UUID
    var apiId: UUID
    var name: String
    var description: String
    var rateLimitPerSecond: Int?
    var rateLimitPerMinute: Int?
    var quotaPerDay: Int64?
    var quotaPerMonth: Int64?
    var approvalRequired: Bool
    var state: String
    var createdAt: Date
    var updatedAt: Date

    init(_ plan: Plan) {
        id = plan.id
        apiId = plan.apiID
        name = plan.name
        description = plan.description
        rateLimitPerSecond = plan.rateLimitPerSecond
        rateLimitPerMinute = plan.rateLimitPerMinute
        quotaPerDay = plan.quotaPerDay
        quotaPerMonth = plan.quotaPerMonth
        approvalRequired = plan.approvalRequired
        state = plan.state.rawValue
        createdAt = plan.createdAt
        updatedAt = plan.updatedAt
    }
}

struct CatalogVersionResponse: Encodable, Sendable {
    var id: UUID
    var version: String
    var state: String
    var basePath: String
    var host: String?
    var sunsetAt: Date?
    var successorVersionId: UUID?
    var publishedAt: Date?
    var hasOpenApi: Bool
    /// Where to call this version through the gateway.
    var gatewayUrl: String

    init(_ summary: CatalogService.VersionSummary, gatewayURL: String) {
        id = summary.id
        version = summary.version
        state = summary.state.rawValue
        basePath = summary.basePath
        host = summary.host
        sunsetAt = summary.sunsetAt
        successorVersionId = summary.successorVersionID
        publishedAt = summary.publishedAt
        hasOpenApi = summary.hasOpenAPI
        gatewayUrl = gatewayURL + summary.basePath
    }
}

struct CatalogEntryResponse: ResponseEncodable, Sendable {
    var id: UUID
    var slug: String
    var name: String
    var description: String
    var tags: [String]
    var visibility: String
    var teamId: UUID
    var teamName: String
    var tenantSlug: String
    var latestVersion: CatalogVersionResponse

    init(_ entry: CatalogService.Entry, gatewayURL: String) {
        id = entry.api.id
        slug = entry.api.slug
        name = entry.api.name
        description = entry.api.description
        tags = entry.api.tags
        visibility = entry.api.visibility.rawValue
        teamId = entry.api.teamID
        teamName = entry.api.teamName
        tenantSlug = entry.tenantSlug
        latestVersion = CatalogVersionResponse(entry.latestVersion, gatewayURL: gatewayURL)
    }
}

struct CatalogDetailResponse: ResponseEncodable, Sendable {
    var api: CatalogEntryResponse
    var versions: [CatalogVersionResponse]
    var plans: [PlanResponse]
}

struct TagCountResponse: Encodable, Sendable {
    var tag: String
    var count: Int
}
