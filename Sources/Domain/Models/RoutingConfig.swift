import Foundation

public enum LoadBalancing: String, Sendable, Codable, CaseIterable {
    case roundRobin = "round_robin"
    case weighted
    case leastConnections = "least_connections"
    case ipHash = "ip_hash"
}

/// How the gateway forwards calls to one API version. Frozen when the version is published.
public struct RoutingConfig: Sendable, Hashable, Codable {
    public struct Target: Sendable, Hashable, Codable {
        /// `http://host:port` or `https://host:port`, optionally with a path prefix.
        public var url: String
        public var weight: Int

        public init(url: String, weight: Int = 100) {
            self.url = url
            self.weight = weight
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            url = try container.decode(String.self, forKey: .url)
            weight = try container.decodeIfPresent(Int.self, forKey: .weight) ?? 100
        }

        enum CodingKeys: String, CodingKey { case url, weight }
    }

    public struct HealthCheck: Sendable, Hashable, Codable {
        /// Active check: GET this path on every target every `intervalSeconds`; nil disables it.
        public var path: String?
        public var intervalSeconds: Int
        public var timeoutMs: Int
        /// Passive check: eject a target after this many consecutive failures…
        public var unhealthyThreshold: Int
        /// …for this many seconds.
        public var ejectSeconds: Int

        public init(path: String? = nil, intervalSeconds: Int = 10, timeoutMs: Int = 2000, unhealthyThreshold: Int = 3, ejectSeconds: Int = 30) {
            self.path = path
            self.intervalSeconds = intervalSeconds
            self.timeoutMs = timeoutMs
            self.unhealthyThreshold = unhealthyThreshold
            self.ejectSeconds = ejectSeconds
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = HealthCheck()
            path = try container.decodeIfPresent(String.self, forKey: .path)
            intervalSeconds = try container.decodeIfPresent(Int.self, forKey: .intervalSeconds) ?? defaults.intervalSeconds
            timeoutMs = try container.decodeIfPresent(Int.self, forKey: .timeoutMs) ?? defaults.timeoutMs
            unhealthyThreshold = try container.decodeIfPresent(Int.self, forKey: .unhealthyThreshold) ?? defaults.unhealthyThreshold
            ejectSeconds = try container.decodeIfPresent(Int.self, forKey: .ejectSeconds) ?? defaults.ejectSeconds
        }

        enum CodingKeys: String, CodingKey { case path, intervalSeconds, timeoutMs, unhealthyThreshold, ejectSeconds }
    }

    public struct FaultInjection: Sendable, Hashable, Codable {
        /// Percentage (0–100) of calls delayed by `delayMs`.
        public var delayPercent: Double
        public var delayMs: Int
        /// Percentage (0–100) of calls answered with `abortStatus` without reaching the upstream.
        public var abortPercent: Double
        public var abortStatus: Int

        public init(delayPercent: Double = 0, delayMs: Int = 0, abortPercent: Double = 0, abortStatus: Int = 503) {
            self.delayPercent = delayPercent
            self.delayMs = delayMs
            self.abortPercent = abortPercent
            self.abortStatus = abortStatus
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            delayPercent = try container.decodeIfPresent(Double.self, forKey: .delayPercent) ?? 0
            delayMs = try container.decodeIfPresent(Int.self, forKey: .delayMs) ?? 0
            abortPercent = try container.decodeIfPresent(Double.self, forKey: .abortPercent) ?? 0
            abortStatus = try container.decodeIfPresent(Int.self, forKey: .abortStatus) ?? 503
        }

        enum CodingKeys: String, CodingKey { case delayPercent, delayMs, abortPercent, abortStatus }
    }

    /// Cross-origin calls from browsers: the gateway answers preflights itself (no key needed)
    /// and adds `Access-Control-*` to every answer for an allowed origin, the upstream's own
    /// `Access-Control-*` headers replaced.
    public struct Cors: Sendable, Hashable, Codable {
        /// Origins such as `https://app.example.com` (scheme, host, port; lower case), or `*` alone for any.
        public var allowedOrigins: [String]
        /// How long a browser may reuse a preflight answer.
        public var maxAgeSeconds: Int

        public init(allowedOrigins: [String], maxAgeSeconds: Int = 600) {
            self.allowedOrigins = allowedOrigins
            self.maxAgeSeconds = maxAgeSeconds
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            allowedOrigins = try container.decode([String].self, forKey: .allowedOrigins)
            maxAgeSeconds = try container.decodeIfPresent(Int.self, forKey: .maxAgeSeconds) ?? 600
        }

        enum CodingKeys: String, CodingKey { case allowedOrigins, maxAgeSeconds }

        /// Whether `origin` is what a browser sends in `Origin` (compared byte for byte): scheme,
        /// host and a non-default port only, lower case.
        static func isOrigin(_ origin: String) -> Bool {
            guard origin == origin.lowercased(), origin.count <= 253, !origin.hasSuffix(":"), let components = URLComponents(string: origin),
                let scheme = components.scheme, scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
                components.path.isEmpty, components.query == nil, components.fragment == nil, components.user == nil, components.password == nil
            else { return false }
            if let port = components.port, port == (scheme == "https" ? 443 : 80) || !(1...65535).contains(port) { return false }
            return origin.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 }
        }
    }

    public var targets: [Target]
    public var loadBalancing: LoadBalancing
    public var connectTimeoutMs: Int
    public var readTimeoutMs: Int
    /// Extra attempts on another target for idempotent requests.
    public var retries: Int
    /// Remove the version's base path before forwarding (`/echo/v1/hello` → `/hello`).
    public var stripPrefix: Bool
    public var healthCheck: HealthCheck
    public var faultInjection: FaultInjection?
    /// The methods the version serves (upper case, as HTTP spells them); nil serves every
    /// method. A version that serves GET also answers HEAD. Other methods get 405 with `Allow`.
    public var methods: [String]?
    public var cors: Cors?

    public init(
        targets: [Target], loadBalancing: LoadBalancing = .roundRobin, connectTimeoutMs: Int = 2000, readTimeoutMs: Int = 30000,
        retries: Int = 1, stripPrefix: Bool = true, healthCheck: HealthCheck = HealthCheck(), faultInjection: FaultInjection? = nil,
        methods: [String]? = nil, cors: Cors? = nil
    ) {
        self.targets = targets
        self.loadBalancing = loadBalancing
        self.connectTimeoutMs = connectTimeoutMs
        self.readTimeoutMs = readTimeoutMs
        self.retries = retries
        self.stripPrefix = stripPrefix
        self.healthCheck = healthCheck
        self.faultInjection = faultInjection
        self.methods = methods
        self.cors = cors
    }

    enum CodingKeys: String, CodingKey {
        case targets, loadBalancing, connectTimeoutMs, readTimeoutMs, retries, stripPrefix, healthCheck, faultInjection, methods, cors
    }

    /// Every field but `targets` may be omitted and takes the documented default.
    public init(from decoder: any Decoder) throws {
        let defaults = RoutingConfig(targets: [])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        targets = try container.decode([Target].self, forKey: .targets)
        loadBalancing = try container.decodeIfPresent(LoadBalancing.self, forKey: .loadBalancing) ?? defaults.loadBalancing
        connectTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .connectTimeoutMs) ?? defaults.connectTimeoutMs
        readTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .readTimeoutMs) ?? defaults.readTimeoutMs
        retries = try container.decodeIfPresent(Int.self, forKey: .retries) ?? defaults.retries
        stripPrefix = try container.decodeIfPresent(Bool.self, forKey: .stripPrefix) ?? defaults.stripPrefix
        healthCheck = try container.decodeIfPresent(HealthCheck.self, forKey: .healthCheck) ?? defaults.healthCheck
        faultInjection = try container.decodeIfPresent(FaultInjection.self, forKey: .faultInjection)
        methods = try container.decodeIfPresent([String].self, forKey: .methods)
        cors = try container.decodeIfPresent(Cors.self, forKey: .cors)
    }

    /// The methods served, HEAD added where GET is served; nil for every method.
    public var servedMethods: [String]? {
        guard let methods else { return nil }
        var served = methods
        if served.contains("GET") && !served.contains("HEAD") { served.insert("HEAD", at: served.firstIndex(of: "GET")! + 1) }
        return served
    }

    /// Checks every field; errors are named `<prefix>.targets[0].url` and so on.
    public func validate(into validator: inout Validator, prefix: String = "routing") {
        validator.check(!targets.isEmpty, "\(prefix).targets", "needs at least one upstream target")
        validator.check(targets.count <= 64, "\(prefix).targets", "may hold at most 64 targets")
        for (index, target) in targets.enumerated() {
            if UpstreamURL(target.url) == nil {
                validator.add("\(prefix).targets[\(index)].url", "must be an absolute http:// or https:// URL with a host, without query or fragment")
            }
            validator.check((0...10_000).contains(target.weight), "\(prefix).targets[\(index)].weight", "must be between 0 and 10000")
        }
        if !targets.isEmpty {
            validator.check(targets.contains { $0.weight > 0 }, "\(prefix).targets", "at least one target needs a weight above 0")
        }
        validator.check((1...60_000).contains(connectTimeoutMs), "\(prefix).connectTimeoutMs", "must be between 1 and 60000")
        validator.check((1...600_000).contains(readTimeoutMs), "\(prefix).readTimeoutMs", "must be between 1 and 600000")
        validator.check((0...5).contains(retries), "\(prefix).retries", "must be between 0 and 5")
        if let path = healthCheck.path {
            validator.check(path.hasPrefix("/") && path.count <= 500 && !path.contains(" "), "\(prefix).healthCheck.path", "must be a path starting with /")
        }
        validator.check((1...3600).contains(healthCheck.intervalSeconds), "\(prefix).healthCheck.intervalSeconds", "must be between 1 and 3600")
        validator.check((1...60_000).contains(healthCheck.timeoutMs), "\(prefix).healthCheck.timeoutMs", "must be between 1 and 60000")
        validator.check((1...100).contains(healthCheck.unhealthyThreshold), "\(prefix).healthCheck.unhealthyThreshold", "must be between 1 and 100")
        validator.check((1...3600).contains(healthCheck.ejectSeconds), "\(prefix).healthCheck.ejectSeconds", "must be between 1 and 3600")
        if let methods {
            validator.check((1...20).contains(methods.count), "\(prefix).methods", "lists 1 to 20 methods (leave it out to serve every method)")
            let invalid = methods.filter { method in
                method.isEmpty || method.count > 32 || method.first!.isNumber
                    || !method.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
            }
            validator.check(invalid.isEmpty, "\(prefix).methods", "must be upper-case method names such as GET or POST (not \(invalid.joined(separator: ", ")))")
            validator.check(Set(methods).count == methods.count, "\(prefix).methods", "lists a method twice")
        }
        if let cors {
            let origins = cors.allowedOrigins
            validator.check((1...50).contains(origins.count), "\(prefix).cors.allowedOrigins", "lists 1 to 50 origins (leave cors out to refuse cross-origin calls)")
            if origins.contains("*") {
                validator.check(origins.count == 1, "\(prefix).cors.allowedOrigins", "* allows every origin and stands alone")
            } else {
                let invalid = origins.filter { !Cors.isOrigin($0) }
                validator.check(
                    invalid.isEmpty, "\(prefix).cors.allowedOrigins",
                    "must be origins such as https://app.example.com: scheme, host and port, lower case, no path (not \(invalid.joined(separator: ", ")))")
            }
            validator.check((0...86_400).contains(cors.maxAgeSeconds), "\(prefix).cors.maxAgeSeconds", "must be between 0 and 86400")
        }
        if let fault = faultInjection {
            validator.check((0...100).contains(fault.delayPercent), "\(prefix).faultInjection.delayPercent", "must be between 0 and 100")
            validator.check((0...60_000).contains(fault.delayMs), "\(prefix).faultInjection.delayMs", "must be between 0 and 60000")
            validator.check((0...100).contains(fault.abortPercent), "\(prefix).faultInjection.abortPercent", "must be between 0 and 100")
            validator.check((400...599).contains(fault.abortStatus), "\(prefix).faultInjection.abortStatus", "must be an HTTP status between 400 and 599")
        }
    }
}

/// A parsed upstream target URL.
public struct UpstreamURL: Sendable, Equatable, Hashable {
    public var tls: Bool
    public var host: String
    public var port: Int
    /// Path prefix prepended to forwarded paths, without a trailing slash ("" for none).
    public var pathPrefix: String

    public init?(_ string: String) {
        guard string.count <= 2048, let components = URLComponents(string: string), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil
        else { return nil }
        tls = scheme == "https"
        self.host = host
        guard let port = components.port ?? (tls ? 443 : 80) as Int?, (1...65535).contains(port) else { return nil }
        self.port = port
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        pathPrefix = path
    }
}
