import Domain
import Foundation
import Hummingbird

/// `/analytics/...` (from per-minute rollups) and `/logs` (the call log), for an API or an application.
struct AnalyticsController {
    let services: Services

    func addRoutes(to group: RouterGroup<PortalContext>) {
        group.get("analytics/summary", use: summary)
        group.get("analytics/timeseries", use: timeseries)
        group.get("analytics/consumers", use: consumers)
        group.get("analytics/status-codes", use: statusCodes)
        group.get("logs", use: logs)
        group.get("logs/export.csv", use: export)
        group.get("logs/{requestId}", use: log)
    }

    private func scope(_ request: Request) throws -> AnalyticsService.Scope {
        AnalyticsService.Scope(
            apiID: try request.queryUUID("apiId"), applicationID: try request.queryUUID("applicationId"), from: try request.queryDate("from"),
            to: try request.queryDate("to"))
    }

    private func filter(_ request: Request) throws -> AnalyticsService.LogFilter {
        let status = try request.queryInt("status")
        if let status, !(100...599).contains(status) { throw Problem.validation([FieldError("status", "must be an HTTP status code")]) }
        let statusClass = try request.queryInt("statusClass")
        if let statusClass, !(1...5).contains(statusClass) { throw Problem.validation([FieldError("statusClass", "must be 1 to 5")]) }
        let path = request.query("path")
        if let path, path.count > 500 { throw Problem.validation([FieldError("path", "must be at most 500 characters")]) }
        return .init(scope: try scope(request), status: status, statusClass: statusClass, path: path)
    }

    @Sendable func summary(request: Request, context: PortalContext) async throws -> TrafficSummaryResponse {
        let scope = try scope(request)
        return TrafficSummaryResponse(try await services.analytics.summary(try context.requireActor(), scope: scope), from: scope.from, to: scope.to)
    }

    @Sendable func timeseries(request: Request, context: PortalContext) async throws -> TimeseriesResponse {
        let (interval, points) = try await services.analytics.timeseries(try context.requireActor(), scope: try scope(request))
        return TimeseriesResponse(
            intervalSeconds: interval,
            items: points.map {
                .init(bucket: $0.bucket, requests: $0.summary.requests, clientErrors: $0.summary.clientErrors, serverErrors: $0.summary.serverErrors,
                    p50Ms: $0.summary.p50Ms, p95Ms: $0.summary.p95Ms, p99Ms: $0.summary.p99Ms)
            })
    }

    @Sendable func consumers(request: Request, context: PortalContext) async throws -> ListResponse<ConsumerTrafficResponse> {
        let items = try await services.analytics.topConsumers(try context.requireActor(), scope: try scope(request), limit: try request.queryInt("limit") ?? 10)
        return ListResponse(items: items.map {
            .init(applicationId: $0.applicationID, applicationName: $0.applicationName, teamName: $0.teamName, requests: $0.requests, errors: $0.errors)
        })
    }

    @Sendable func statusCodes(request: Request, context: PortalContext) async throws -> ListResponse<StatusCountResponse> {
        let items = try await services.analytics.statusCodes(try context.requireActor(), scope: try scope(request))
        return ListResponse(items: items.map { .init(status: $0.status, count: $0.count) })
    }

    @Sendable func logs(request: Request, context: PortalContext) async throws -> ListResponse<CallLogResponse> {
        let page = try await services.analytics.logs(try context.requireActor(), filter: try filter(request), page: try request.pageRequest(numericCursor: true))
        return ListResponse(page, CallLogResponse.init)
    }

    @Sendable func log(request: Request, context: PortalContext) async throws -> CallLogResponse {
        guard let requestID = context.parameters.get("requestId"), requestID.count <= 128 else { throw Problem.notFound("call") }
        guard let timestamp = try request.queryDate("ts") else { throw Problem.validation([FieldError("ts", "is required (the call's timestamp)")]) }
        return CallLogResponse(try await services.analytics.log(try context.requireActor(), requestID: requestID, at: timestamp))
    }

    /// Up to 50,000 calls matching the filter, as CSV.
    @Sendable func export(request: Request, context: PortalContext) async throws -> Response {
        let actor = try context.requireActor()
        let filter = try filter(request)
        var csv = "timestamp,request_id,api,version,application,key_prefix,method,path,status,total_ms,upstream_ms,upstream_target,attempts,bytes_in,bytes_out,client_ip,error_kind\n"
        var page = PageRequest(limit: 1000)
        var count = 0
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        while count < 50_000 {
            let result = try await services.analytics.logs(actor, filter: filter, page: page)
            for e in result.items {
                let fields: [String] = [
                    formatter.string(from: e.timestamp), e.requestID, e.apiName ?? "", e.version ?? "", e.applicationName ?? "", e.keyPrefix ?? "", e.method,
                    e.path, String(e.status), String(format: "%.3f", e.totalMs), e.upstreamMs.map { String(format: "%.3f", $0) } ?? "", e.upstreamTarget ?? "",
                    String(e.attempts), String(e.bytesIn), String(e.bytesOut), e.clientIP ?? "", e.errorKind ?? "",
                ]
                csv += fields.map(Self.csvField).joined(separator: ",") + "\n"
            }
            count += result.items.count
            guard let next = result.nextCursor, let cursor = Cursor(encoded: next) else { break }
            page = PageRequest(limit: 1000, cursor: cursor)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"portico-calls.csv\""],
            body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    /// RFC 4180 quoting; a leading =, +, - or @ is prefixed so spreadsheets do not run it as a formula.
    static func csvField(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
