import Foundation

public enum VersionState: String, Sendable, Codable, CaseIterable {
    case draft
    case published
    case deprecated
    case retired
}

/// One version of an API: where the gateway serves it, how it routes, and its lifecycle state.
public struct APIVersion: Sendable, Equatable, Codable {
    public var id: UUID
    public var tenantID: UUID
    public var apiID: UUID
    public var version: String
    /// Optional `Host` the gateway matches; nil matches any host.
    public var host: String?
    public var basePath: String
    public var state: VersionState
    public var routing: RoutingConfig
    public var hasOpenAPI: Bool
    public var sunsetAt: Date?
    public var successorVersionID: UUID?
    public var publishedAt: Date?
    public var deprecatedAt: Date?
    public var retiredAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
}
