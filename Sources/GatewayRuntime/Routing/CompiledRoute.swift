import NIOConcurrencyHelpers
import Atomics
import Domain
import Foundation
import NIOCore

/// One served API version, compiled for the request path: byte-level base path, its balancer
/// and targets, timeouts, and the header lines a deprecated version adds, prepared once.
final class CompiledRoute: Sendable {
    let index: Int32
    let route: GatewayConfig.Route
    let basePath: [UInt8]
    let balancer: LoadBalancer
    /// Path prefix of each target URL, in balancer order.
    let targetPathPrefixes: [String]
    /// Some target is https (the epoll data plane hands such requests to SwiftNIO, which has TLS).
    let hasTLSTargets: Bool
    let connectTimeout: TimeAmount
    let readTimeout: TimeAmount
    let retries: Int
    let unhealthyThreshold: Int
    let ejectNanos: UInt64
    let faultInjection: RoutingConfig.FaultInjection?
    /// The methods served, as bytes (nil: every method), and the `Allow` value listing them.
    let methods: [[UInt8]]?
    let allowHeader: String
    let cors: CompiledCors?
    /// "Deprecation: …\r\nSunset: …\r\nLink: …\r\n" for deprecated versions, else empty.
    let lifecycleHeaders: [UInt8]

    /// `parsed` caches URL parsing across the routes of one compile (many routes share targets).
    init(index: Int32, route: GatewayConfig.Route, targets registry: TargetRegistry, urls parsed: inout [String: UpstreamURL?]) {
        self.index = index
        self.route = route
        basePath = Array(route.basePath.utf8)
        let routing = route.routing
        var urls: [(UpstreamURL, Int)] = []
        for target in routing.targets {
            let url: UpstreamURL?
            if let cached = parsed[target.url] {
                url = cached
            } else {
                url = UpstreamURL(target.url)
                parsed[target.url] = url
            }
            if let url { urls.append((url, target.weight)) }
        }
        balancer = LoadBalancer(algorithm: routing.loadBalancing, targets: urls.map { registry.target(for: $0.0) }, weights: urls.map(\.1))
        targetPathPrefixes = urls.map(\.0.pathPrefix)
        hasTLSTargets = urls.contains { $0.0.tls }
        connectTimeout = .milliseconds(Int64(routing.connectTimeoutMs))
        readTimeout = .milliseconds(Int64(routing.readTimeoutMs))
        retries = routing.retries
        unhealthyThreshold = routing.healthCheck.unhealthyThreshold
        ejectNanos = UInt64(routing.healthCheck.ejectSeconds) * 1_000_000_000
        faultInjection = routing.faultInjection.flatMap { $0.delayPercent > 0 || $0.abortPercent > 0 ? $0 : nil }
        methods = routing.servedMethods.map { $0.map { Array($0.utf8) } }
        allowHeader = routing.servedMethods?.joined(separator: ", ") ?? ""
        cors = routing.cors.map { CompiledCors($0, allowMethods: routing.servedMethods?.joined(separator: ", ")) }
        var headers = ""
        if route.state == .deprecated {
            let since = Int64((route.deprecatedAt ?? Date()).timeIntervalSince1970)
            headers += "Deprecation: @\(since)\r\n"
            if let sunset = route.sunsetAt { headers += "Sunset: \(HTTPDate.format(sunset))\r\n" }
            if let successor = route.successorBasePath { headers += "Link: <\(successor)>; rel=\"successor-version\"\r\n" }
        }
        lifecycleHeaders = Array(headers.utf8)
    }
}

/// RFC 9110 IMF-fixdate.
enum HTTPDate {
    static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let day = CalendarPeriod.day(unixSeconds: seconds)
        let (year, month, dayOfMonth) = CalendarPeriod.civil(fromDays: day)
        let weekday = ((day % 7) + 11) % 7  // 1970-01-01 was a Thursday
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let secondOfDay = seconds - day * 86_400
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(names[Int(weekday)]), \(two(dayOfMonth)) \(months[Int(month - 1)]) \(year) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }
}
