import Hummingbird
import NIOConcurrencyHelpers

/// The router's path patterns and their methods, for answering 405 with an `Allow` header.
struct RouteTable: Sendable {
    private var patterns: [(segments: [Substring], methods: Set<HTTPRequest.Method>)] = []

    init(_ routes: [(method: HTTPRequest.Method, path: String)]) {
        var byPath: [String: Set<HTTPRequest.Method>] = [:]
        for route in routes { byPath[route.path, default: []].insert(route.method) }
        patterns = byPath.map { (path, methods) in (path.split(separator: "/"), methods) }
    }

    func methods(forPath path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/")
        var result: Set<HTTPRequest.Method> = []
        for pattern in patterns where matches(pattern.segments, segments) { result.formUnion(pattern.methods) }
        return result
    }

    private func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        if pattern.last == "**" { return segments.count >= pattern.count - 1 && zip(pattern.dropLast(), segments).allSatisfy(segmentMatches) }
        return pattern.count == segments.count && zip(pattern, segments).allSatisfy(segmentMatches)
    }

    private func segmentMatches(_ pair: (Substring, Substring)) -> Bool {
        pair.0 == pair.1 || (pair.0.hasPrefix("{") && pair.0.hasSuffix("}")) || pair.0 == "*"
    }
}

/// Middleware is added before the routes exist; this box receives the table once they do.
final class RouteTableBox: Sendable {
    private let table = NIOLockedValueBox(RouteTable([]))

    func set(_ routes: RouteTable) { table.withLockedValue { $0 = routes } }

    func methods(forPath path: String) -> Set<HTTPRequest.Method> { table.withLockedValue { $0.methods(forPath: path) } }
}
