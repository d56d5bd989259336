import NIOConcurrencyHelpers
import Atomics
import Crypto
import Domain
import Foundation
import NIOCore

/// One client connection: parses request heads itself, applies route, key, subscription, rate
/// limit, quota and fault injection from the immutable config, then streams the request to a
/// pooled upstream connection on the same event loop and the response back, one request at a
/// time (pipelined requests wait in the inbound buffer and are answered in order).
///
/// Only `ByteBuffer`s pass through: the upstream head is rebuilt into one buffer together with
/// the first body bytes and written with one flush; the response head likewise.
///
/// The session does not know what drives its socket: the plain listener's epoll loop
/// (`EpollSocket`) or SwiftNIO (`NIOClientChannelHandler`, for TLS) — both are a `ClientStream`.
final class ClientSession: ByteStreamDelegate {

    private enum Phase {
        /// Waiting for (or parsing) the next request head.
        case idle
        /// A request is being handled (delay, connect, forward, response).
        case exchanging
        /// A local error answer was sent; the request body is skipped before the next request.
        case discardingBody
        case closed
    }

    private let shared: GatewayShared
    private let pool: UpstreamPool
    private let metrics: GatewayMetrics.Shard
    private let logs: CallLogBuffer.Shard
    private let buffers: BufferRecycler
    private let tls: Bool
    /// Set by `open`; the stream keeps the session alive until it reports its close.
    private var stream: (any ClientStream)!
    private var inbound: ByteBuffer?
    private var phase = Phase.idle
    private var exchange: Exchange?
    private var discardFramer: BodyFramer?
    private var clientIP = ""
    private var clientIPBytes: ArraySlice<UInt8> = []
    private var clientIPIsV6 = false
    private var readsPaused = false
    private var closeAfterResponse = false
    private var flushPending = false
    /// Request body bytes were written to the upstream and wait for the end of this read burst.
    private var upstreamFlushPending = false
    private var random = FastRandom()
    private var readTimer: (any ScheduledTask)?
    /// The last finished request's header list, emptied and reused by the next head; likewise
    /// the last response head's list of lines.
    private var spareHeaders: [RequestHead.HeaderField] = []
    private var spareResponseLines: [Range<Int>] = []
    private var lastKey: [UInt8] = []
    private var lastKeyDigest: KeyDigest?
    private var readTimerFiresAt: UInt64 = 0
    /// The client timeout (`clientTimeoutSeconds`): one timer per connection, re-armed only when
    /// it fires, so requests on a busy connection neither schedule nor cancel anything.
    private var clientTimer: (any ScheduledTask)?
    /// When the connection last began waiting for a request head (uptime nanoseconds).
    private var waitingSince: UInt64 = 0

    init(shared: GatewayShared, loop: PoolDirectory.LoopResources, tls: Bool) {
        self.shared = shared
        self.pool = loop.pool
        self.metrics = loop.metrics
        self.logs = loop.logs
        self.buffers = loop.buffers
        self.tls = tls
    }

    static let allocator = ByteBufferAllocator()

    // MARK: Client events

    func open(_ stream: any ClientStream, clientIP: String) {
        self.stream = stream
        self.clientIP = clientIP
        clientIPBytes = ArraySlice(clientIP.utf8)
        clientIPIsV6 = clientIP.utf8.contains(0x3A)
        shared.activeConnections.wrappingIncrement(ordering: .relaxed)
        shared.metrics.openConnections.wrappingIncrement(ordering: .relaxed)
        if shared.settings.clientTimeoutSeconds > 0 {
            waitingSince = stream.now
            scheduleClientTimer(at: waitingSince &+ clientTimeoutNanos)
        }
    }

    private var clientTimeoutNanos: UInt64 { UInt64(shared.settings.clientTimeoutSeconds) * 1_000_000_000 }

    private func scheduleClientTimer(at deadline: UInt64) {
        clientTimer = stream.schedule(at: deadline) { [self] in
            clientTimer = nil
            clientTimerFired()
        }
    }

    /// Closes a connection that waited too long for a request head; otherwise looks again when
    /// the current wait would run out (or a full period later while a request is in progress).
    private func clientTimerFired() {
        guard phase != .closed else { return }
        let now = stream.now
        guard phase == .idle && exchange == nil else { return scheduleClientTimer(at: now &+ clientTimeoutNanos) }
        if now &- waitingSince < clientTimeoutNanos { return scheduleClientTimer(at: waitingSince &+ clientTimeoutNanos) }
        if let inbound, inbound.readableBytes > 0 {
            rejectUnparsed(.requestTimeout(seconds: shared.settings.clientTimeoutSeconds))
        } else {
            phase = .closed
            stream.close()
        }
    }

    /// Counted as an open connection from `open` until its close (or hand-over) is reported.
    private var counted = true
    private func uncount() {
        guard counted else { return }
        counted = false
        shared.activeConnections.wrappingDecrement(ordering: .relaxed)
        shared.metrics.openConnections.wrappingDecrement(ordering: .relaxed)
    }

    func streamRead(_ bytes: ByteBuffer) {
        var bytes = bytes
        if inbound == nil || inbound!.readableBytes == 0 {
            inbound = bytes
        } else {
            inbound!.writeBuffer(&bytes)
        }
        processInbound()
        // Drained: let go, so the socket can read the next request into the same storage.
        if inbound?.readableBytes == 0 { inbound = nil }
    }

    func streamReadComplete() {
        if upstreamFlushPending {
            upstreamFlushPending = false
            if let upstream = exchange?.upstream { upstream.stream.flush() }
        }
        flushClientIfNeeded()
    }

    func streamClosed() {
        uncount()
        phase = .closed
        clientTimer?.cancel()
        clientTimer = nil
        readTimer?.cancel()
        readTimer = nil
        if let exchange {
            exchange.disarmReadTimeout()
            exchange.closeUpstream()
            exchange.endAttempt()
            finishRecord(exchange, status: exchange.responseStatus ?? 499, errorKind: "client-closed")
            self.exchange = nil
        }
    }

    func streamWritabilityChanged(_ writable: Bool) {
        // Backpressure: stop reading the upstream while the client cannot take more.
        if let upstream = exchange?.upstream {
            upstream.setAutoRead(writable)
        }
    }

    /// Graceful shutdown: close after the current response (at once when idle).
    func quiesce() {
        closeAfterResponse = true
        if phase == .idle && exchange == nil { stream.close() }
    }

    private func flushClientIfNeeded() {
        if flushPending {
            flushPending = false
            stream.flush()
        }
    }

    private func pauseClientReads(_ paused: Bool) {
        guard paused != readsPaused else { return }
        readsPaused = paused
        stream.setReading(!paused)
    }

    // MARK: Parsing the client's bytes

    private var processing = false

    /// Handles what the client sent, one request at a time. Re-entrant calls (a local answer
    /// ending an exchange while this loop runs) return at once; the running loop picks up.
    private func processInbound() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while true {
            switch phase {
            case .closed:
                return
            case .idle:
                guard let buffer = inbound, buffer.readableBytes > 0 else { return }
                let result: RequestHeadParser.Result
                do {
                    result = try RequestHeadParser.parse(buffer, maxHeadBytes: shared.settings.maxHeadBytes, spareHeaders: &spareHeaders)
                } catch {
                    let problem: GatewayProblem
                    switch error {
                    case .badRequest(let reason): problem = .badRequest(reason)
                    case .headersTooLarge: problem = .headersTooLarge()
                    case .versionNotSupported: problem = .versionNotSupported()
                    case .notImplemented(let what): problem = .notImplemented(what)
                    }
                    rejectUnparsed(problem)
                    return
                }
                switch consume result {
                case .incomplete:
                    return
                case .head(let head, let consumed):
                    inbound!.moveReaderIndex(forwardBy: consumed)
                    startRequest(head, headBytes: consumed)
                }
            case .exchanging:
                guard let exchange else { return }
                let pending = inbound?.readableBytes ?? 0
                if exchange.requestFramer.isComplete {
                    // Pipelined requests wait until this response is done.
                    if pending > 0 { pauseClientReads(true) }
                    return
                }
                guard pending > 0 else { return }
                forwardBody(exchange)
                if phase == .exchanging { return }
            case .discardingBody:
                guard discardFramer != nil, let buffer = inbound, buffer.readableBytes > 0 else { return }
                do {
                    let count = try discardFramer!.consume(buffer.readableBytesView)
                    inbound!.moveReaderIndex(forwardBy: count)
                } catch {
                    stream.close()
                    phase = .closed
                    return
                }
                if discardFramer!.isComplete {
                    discardFramer = nil
                    phase = .idle
                    waitingSince = stream.now
                } else {
                    return
                }
            }
        }
    }

    /// Answers a request whose head could not be parsed, then closes the connection.
    private func rejectUnparsed(_ problem: GatewayProblem) {
        let requestID = RequestID(random: &random)
        stream.write(problem.encode(requestID: requestID, extraHeaders: [], close: true, allocator: Self.allocator))
        stream.closeAfterFlush()
        phase = .closed
        metrics.record(api: nil, status: problem.status, seconds: 0)
        logs.append(
            CallRecord(
                timestamp: stream.wallClock, requestID: requestID, method: ByteBuffer(), path: ByteBuffer(), status: problem.status, attempts: 0,
                bytesIn: 0, bytesOut: 0, totalMs: 0, clientIP: clientIP, errorKind: problem.type))
    }

    // MARK: One request

    /// The head moves into the exchange and is read there afterwards: a second live copy would
    /// cost a retain and release per reference it holds.
    private func startRequest(_ head: consuming RequestHead, headBytes: Int) {
        let now = stream.now
        let wallClock = stream.wallClock
        let keepAlive = head.keepAlive
        let chunked = head.chunked
        let contentLength = head.contentLength
        let exchange = Exchange(head: head, start: now, timestamp: wallClock, clientIP: clientIP, random: &random)
        exchange.bytesIn = Int64(headBytes)
        self.exchange = exchange
        phase = .exchanging
        if shared.draining.load(ordering: .relaxed) || !keepAlive { closeAfterResponse = true }

        // Framing first: a body we cannot delimit ends the connection after the answer.
        if chunked {
            exchange.requestFramer = BodyFramer(mode: .chunked)
        } else if let length = contentLength {
            exchange.requestFramer = BodyFramer(mode: .length(length))
            if length > shared.settings.maxBodyBytes { return respondLocally(.payloadTooLarge(limit: shared.settings.maxBodyBytes)) }
        } else {
            exchange.requestFramer = BodyFramer(mode: .none)
        }

        let config = shared.config.config
        guard config.revision > 0 else { return respondLocally(.unavailable()) }

        // 1. Route by host and path prefix.
        let host = config.table.hasHostRoutes ? hostBytes(exchange.head) : nil
        let pathRange = exchange.head.target.lowerBound..<exchange.head.pathEnd
        let (dotSegment, route) = exchange.head.raw.withUnsafeReadableBytes { raw -> (Bool, CompiledRoute?) in
            let path = UnsafeRawBufferPointer(rebasing: raw[pathRange])
            if Self.hasDotSegment(path) { return (true, nil) }
            return (false, config.table.lookup(path: path, host: host))
        }
        if dotSegment { return respondLocally(.badRequest("the path contains '.' or '..' segments")) }
        guard let route else { return respondLocally(.noRoute()) }
        if route.hasTLSTargets && !stream.reachesTLSUpstreams {
            // Nothing about this request was decided or recorded yet: the loop that takes the
            // connection over parses the same bytes again.
            var unread = exchange.head.raw
            if var rest = inbound { unread.writeBuffer(&rest) }
            inbound = nil
            self.exchange = nil
            phase = .closed
            clientTimer?.cancel()
            clientTimer = nil
            uncount()
            stream.handOver(unread: unread)
            return
        }
        // Counted once it is known to be served here (a handed-over request counts where it goes).
        shared.retryBudget.recordRequest(now: now)
        exchange.route = route
        exchange.record.tenantID = route.route.tenantID
        exchange.record.apiID = route.route.apiID
        exchange.record.versionID = route.route.versionID
        if let cors = route.cors {
            // Before anything can refuse the call, so a page can read every answer. A preflight is
            // answered here, without a key (browsers send none with it).
            let origin = exchange.head.origin.map(exchange.head.bytes(ofValueAt:))
            exchange.corsLines = cors.responseLines(origin: origin)
            if let origin, let methodIndex = exchange.head.corsRequestMethod, exchange.head.isOPTIONS {
                guard cors.allows(origin) else { return respondLocally(.originNotAllowed(route)) }
                return answerPreflight(cors, origin: origin, method: exchange.head.bytes(ofValueAt: methodIndex), headers: exchange.head.corsRequestHeaders.map(exchange.head.bytes(ofValueAt:)))
            }
        }
        if route.route.state == .retired { return respondLocally(.retired(route)) }
        if let methods = route.methods, !exchange.head.methodIs(methods) { return respondLocally(.methodNotAllowed(route)) }

        // 2. The subscription key.
        guard let key = extractKey(exchange) else { return respondLocally(.missingKey()) }
        let digest = digest(of: key)
        guard let entry = config.keys[digest] else { return respondLocally(.invalidKey()) }
        let unixSeconds = Int64(wallClock)
        if entry.status == .revoked, let forgottenAt = entry.forgottenAt, forgottenAt <= unixSeconds { return respondLocally(.invalidKey()) }
        exchange.record.keyPrefix = entry.prefix
        exchange.record.applicationID = entry.applicationID
        switch entry.status {
        case .active: break
        case .revoked: return respondLocally(.revokedKey(prefix: entry.prefix))
        default: return respondLocally(.disabledKey(prefix: entry.prefix))
        }
        if let expiresAt = entry.expiresAt, expiresAt <= unixSeconds { return respondLocally(.expiredKey(prefix: entry.prefix)) }

        // 3. An active subscription of this application to this version.
        guard let subscription = config.subscriptions[SubscriptionKey(route: route.index, application: entry.application)] else {
            return respondLocally(.notSubscribed(route, state: nil))
        }
        exchange.record.subscriptionID = subscription.id
        guard subscription.state == .active else { return respondLocally(.notSubscribed(route, state: subscription.state.rawValue)) }

        // 4. Rate limit and quota.
        if let limiter = subscription.limiter {
            let decision = limiter.acquire(now: now, unixSeconds: unixSeconds)
            if decision.hasPolicy { exchange.rateLimit = decision }
            switch decision.refusal {
            case .rate: return respondLocally(.rateLimited(retryAfter: decision.retryAfter))
            case .quota: return respondLocally(.quotaExceeded(retryAfter: decision.retryAfter))
            case nil: break
            }
        }

        // 5. Fault injection.
        if let fault = route.faultInjection {
            if fault.abortPercent > 0, random.percent() < fault.abortPercent {
                return respondLocally(.faultInjected(status: fault.abortStatus))
            }
            if fault.delayPercent > 0, fault.delayMs > 0, random.percent() < fault.delayPercent {
                exchange.delayed = true
                _ = stream.schedule(at: now &+ UInt64(fault.delayMs) * 1_000_000) { [self] in
                    guard self.exchange === exchange, phase == .exchanging else { return }
                    self.beginAttempt(exchange)
                }
                processBufferedBody(exchange)
                return
            }
        }
        // Body bytes that came with the head go out in the same write as the head.
        processBufferedBody(exchange)
        if self.exchange === exchange, phase == .exchanging { beginAttempt(exchange) }
    }

    /// Body bytes that arrived with the head are taken (buffered until a connection is attached).
    private func processBufferedBody(_ exchange: Exchange) {
        if !exchange.requestFramer.isComplete, let buffer = inbound, buffer.readableBytes > 0 { forwardBody(exchange) }
    }

    /// SHA-256 of the key, remembered for the connection: a keep-alive client sends the same key
    /// with every request, and comparing ~50 bytes is far cheaper than hashing them.
    private func digest(of key: ByteBufferView) -> KeyDigest {
        if let lastKeyDigest, !key.isEmpty, key.count == lastKey.count,
            key.withContiguousStorageIfAvailable({ k in lastKey.withUnsafeBufferPointer { memcmp(k.baseAddress!, $0.baseAddress!, k.count) == 0 } }) == true
        {
            return lastKeyDigest
        }
        let bytes = Array(key)
        let digest = KeyDigest(SHA256.hash(data: bytes))
        lastKey = bytes
        lastKeyDigest = digest
        return digest
    }

    private func hostBytes(_ head: RequestHead) -> ArraySlice<UInt8>? {
        guard let index = head.host else { return nil }
        let range = head.headers[index].value
        var bytes = Array(head.raw.readableBytesView[(head.raw.readableBytesView.startIndex + range.lowerBound)..<(head.raw.readableBytesView.startIndex + range.upperBound)])
        if let colon = bytes.lastIndex(of: 0x3A), !bytes.contains(0x5D) || colon > bytes.lastIndex(of: 0x5D)! { bytes.removeSubrange(colon...) }
        for index in bytes.indices where bytes[index] >= 0x41 && bytes[index] <= 0x5A { bytes[index] |= 0x20 }
        return bytes[...]
    }

    /// The key from `X-API-Key`, or from `Authorization: Bearer` (then that header is the credential).
    private func extractKey(_ exchange: Exchange) -> ByteBufferView? {
        let view = exchange.head.raw.readableBytesView
        let start = view.startIndex
        if let index = exchange.head.apiKey {
            let range = exchange.head.headers[index].value
            return range.isEmpty ? nil : view[(start + range.lowerBound)..<(start + range.upperBound)]
        }
        if let index = exchange.head.authorization {
            let range = exchange.head.headers[index].value
            let value = view[(start + range.lowerBound)..<(start + range.upperBound)]
            guard value.count > 7, HeaderName.equals(value.prefix(7), "bearer ") else { return nil }
            exchange.head.headers[index].kind = .credential
            var token = value.dropFirst(7)
            while token.first == 0x20 { token = token.dropFirst() }
            return token.isEmpty ? nil : token
        }
        return nil
    }

    /// Rejects `.` and `..` segments (also percent-encoded): after prefix stripping they could
    /// climb out of the upstream's base path.
    static func hasDotSegment<Path: RandomAccessCollection>(_ path: Path) -> Bool where Path.Element == UInt8, Path.Index == Int {
        var segmentStart = path.startIndex
        var index = path.startIndex
        func isDots(_ segment: Path.SubSequence) -> Bool {
            var dots = 0
            var i = segment.startIndex
            while i < segment.endIndex {
                if segment[i] == 0x2E {
                    dots += 1
                    i += 1
                } else if segment[i] == 0x25, i + 2 < segment.endIndex, segment[i + 1] == 0x32, segment[i + 2] | 0x20 == 0x65 {
                    dots += 1
                    i += 3
                } else {
                    return false
                }
            }
            return dots == 1 || dots == 2
        }
        while index <= path.endIndex {
            if index == path.endIndex || path[index] == 0x2F {
                if index > segmentStart, isDots(path[segmentStart..<index]) { return true }
                segmentStart = index + 1
            }
            index += 1
        }
        return false
    }

    // MARK: Upstream attempts

    private func beginAttempt(_ exchange: Exchange) {
        guard let route = exchange.route else { return }
        let now = stream.now
        guard let index = route.balancer.pick(clientIP: clientIPBytes, excluded: exchange.tried, now: now) else {
            return respondLocally(exchange.attempts == 0 ? .noHealthyUpstream() : (exchange.lastFailure == .timeout ? .gatewayTimeout() : .badGateway()))
        }
        let target = route.balancer.targets[index]
        exchange.tried.insert(index)
        exchange.targetIndex = index
        exchange.target = target
        exchange.attempts += 1
        exchange.attemptOpen = true
        target.inFlight.wrappingIncrement(ordering: .relaxed)
        exchange.record.upstreamTarget = target.key
        if let connection = pool.takeIdle(target, now: .uptimeNanoseconds(now)) {
            attach(connection, to: exchange)
            return
        }
        pool.connect(target, timeout: route.connectTimeout) { [self] result in
            guard self.exchange === exchange, phase == .exchanging, exchange.upstream == nil else {
                if case .success(let connection) = result { pool.release(connection) }
                return
            }
            switch result {
            case .success(let connection): attach(connection, to: exchange)
            case .failure: attemptFailed(exchange, .connect)
            }
        }
    }

    private func attach(_ connection: UpstreamConnection, to exchange: Exchange) {
        connection.owner = self
        connection.uses += 1
        exchange.upstream = connection
        exchange.reusedConnection = connection.uses > 1
        connection.setAutoRead(stream.isWritable)
        sendRequest(exchange)
    }

    /// Writes the rebuilt head and the body bytes received so far in one buffer and one flush.
    private func sendRequest(_ exchange: Exchange) {
        guard let connection = exchange.upstream, !exchange.requestSent, let route = exchange.route, let targetIndex = exchange.targetIndex else { return }
        // A chunked body is only forwarded once its first chunk size parsed, so a malformed body never reaches the upstream.
        if exchange.head.chunked && !exchange.requestFramer.sawFirstChunkSize && !exchange.requestFramer.isComplete { return }
        var buffer = makeUpstreamHead(
            &exchange.head, exchange, route: route, targetIndex: targetIndex, target: connection.target, bodyBytes: exchange.pendingBody.readableBytes,
            allocator: Self.allocator)
        if exchange.pendingBody.readableBytes > 0 {
            if exchange.retainedBody == nil && exchange.canRetainBody { exchange.retainedBody = exchange.pendingBody }
            buffer.writeBuffer(&exchange.pendingBody)
            exchange.pendingBody.clear()
        }
        exchange.requestSent = true
        let now = stream.now
        exchange.upstreamStart = now
        connection.stream.writeAndFlush(buffer)
        buffers.give(buffer)
        armReadTimeout(exchange, now: now)
        // Reads paused while the body waited for a connection (`forwardBody` holds at most 1 MiB)
        // resume now that it went out. Unless the upstream is full already (its writability change
        // resumes them) or the request is complete (what follows is the next request, read after
        // this response). Nothing else would resume them: an upstream that took it all at once
        // never reports a change of writability.
        if readsPaused, !exchange.requestFramer.isComplete, connection.stream.isWritable { pauseClientReads(false) }
    }

    /// The rebuilt request head, in a buffer with room for `bodyBytes` more.
    /// `head` is the exchange's and is only read. It is `inout` because that is what makes Swift use
    /// it in place: passed `borrowing` from a class property, it was copied (a retain and release of
    /// its buffer and header list, through the type's value witnesses).
    /// While it runs, nothing here may touch `exchange.head` (only `exchange`'s other properties): that
    /// would overlap the `inout` access, a trap in debug builds and undefined in release ones.
    private func makeUpstreamHead(
        _ head: inout RequestHead, _ exchange: Exchange, route: CompiledRoute, targetIndex: Int, target: UpstreamTarget, bodyBytes: Int, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        let prefix = route.targetPathPrefixes[targetIndex]
        // The client's head at most twice (its host and forwarded-for reappear), plus what the gateway adds.
        let maximum = 2 * head.raw.readableBytes + prefix.utf8.count + target.hostHeader.utf8.count + 2 * clientIP.utf8.count
            + exchange.requestID.utf8Count + exchange.traceparent.utf8Count + 256
        // Sized for the reservation, so writing never reallocates.
        var buffer = buffers.take(capacity: maximum + bodyBytes, allocator: allocator)
        // Everything taken from the client's head is copied through one pointer: no views or
        // slices (each a reference count round trip) per header.
        head.raw.withUnsafeReadableBytes { raw in
            buffer.writeRaw(maximumBytes: maximum) { out in
                func copy(_ range: Range<Int>) { out.bytes(UnsafeRawBufferPointer(rebasing: raw[range])) }
                copy(head.method)
                out.byte(0x20)
                out.string(prefix)
                let targetStart = head.target.lowerBound
                if route.route.routing.stripPrefix {
                    let rest = targetStart + route.basePath.count
                    if rest >= head.target.upperBound || raw[rest] == 0x3F { out.byte(0x2F) }
                    if rest < head.target.upperBound { copy(rest..<head.target.upperBound) }
                } else {
                    copy(head.target)
                }
                out.staticString(" HTTP/1.1\r\nHost: ")
                out.string(target.hostHeader)
                out.staticString("\r\n")
                for index in head.headers.indices where head.headers[index].kind == .passThrough {
                    let field = head.headers[index]
                    copy(field.name)
                    out.staticString(": ")
                    copy(field.value)
                    out.staticString("\r\n")
                }
                out.staticString("X-Forwarded-For: ")
                if let index = head.forwardedFor, !head.headers[index].value.isEmpty {
                    copy(head.headers[index].value)
                    out.staticString(", ")
                }
                out.string(clientIP)
                out.staticString(tls ? "\r\nX-Forwarded-Proto: https" : "\r\nX-Forwarded-Proto: http")
                let host = head.host.map { head.headers[$0].value }
                if let host, !host.isEmpty {
                    out.staticString("\r\nX-Forwarded-Host: ")
                    copy(host)
                }
                out.staticString("\r\nForwarded: for=")
                if clientIPIsV6 {
                    out.staticString("\"[")
                    out.string(clientIP)
                    out.staticString("]\"")
                } else {
                    out.string(clientIP)
                }
                if let host, !host.isEmpty, !raw[host].contains(0x22) {
                    out.staticString(";host=\"")
                    copy(host)
                    out.staticString("\"")
                }
                out.staticString(tls ? ";proto=https" : ";proto=http")
                out.staticString("\r\nX-Request-Id: ")
                out.requestID(exchange.requestID)
                out.staticString("\r\ntraceparent: ")
                out.traceparent(exchange.traceparent)
                out.staticString("\r\n")
                switch exchange.requestFramer.mode {
                case .chunked: out.staticString("Transfer-Encoding: chunked\r\n")
                case .length(let length):
                    out.staticString("Content-Length: ")
                    out.decimal(length)
                    out.staticString("\r\n")
                default: break
                }
                out.staticString("\r\n")
            }
        }
        return buffer
    }

    /// Moves request body bytes from the client buffer to the upstream (or holds them until a
    /// connection is attached), enforcing the body limit.
    private func forwardBody(_ exchange: Exchange) {
        guard var buffer = inbound else { return }
        let count: Int
        do {
            count = try exchange.requestFramer.consume(buffer.readableBytesView)
        } catch {
            // A malformed chunk: refuse if nothing was forwarded yet, else abort both sides.
            inbound = buffer
            closeAfterResponse = true
            if !exchange.requestSent {
                respondLocally(.badRequest("malformed chunked body"))
            } else {
                abortExchange(exchange, errorKind: "bad-request-body")
            }
            return
        }
        var slice = buffer.readSlice(length: count)!
        inbound = buffer
        exchange.bytesIn += Int64(count)
        if exchange.requestFramer.bodyBytes > shared.settings.maxBodyBytes {
            closeAfterResponse = true
            if exchange.responseStatus == nil {
                exchange.closeUpstream()
                exchange.requestSent = false
                respondLocally(.payloadTooLarge(limit: shared.settings.maxBodyBytes))
            } else {
                abortExchange(exchange, errorKind: "payload-too-large")
            }
            return
        }
        if exchange.requestSent, let upstream = exchange.upstream {
            if exchange.retainedBody != nil {
                if exchange.canRetainBody { exchange.retainedBody!.writeImmutableBuffer(slice) } else { exchange.retainedBody = nil }
            }
            upstream.stream.write(slice)
            upstreamFlushPending = true
            // Body bytes going out are progress too: the read timeout is for an upstream that
            // neither takes the request (its socket stays full, so reads pause and nothing goes
            // out) nor answers, not for an upload that outlasts it (as nginx: send timeout while
            // sending, read timeout after).
            exchange.lastUpstreamActivity = stream.now
            if !upstream.stream.isWritable { pauseClientReads(true) }
        } else {
            exchange.pendingBody.writeBuffer(&slice)
            if exchange.pendingBody.readableBytes > 1 << 20 { pauseClientReads(true) }
            sendRequest(exchange)
        }
        if exchange.requestFramer.isComplete, (inbound?.readableBytes ?? 0) > 0 { pauseClientReads(true) }
    }

    func upstreamWritabilityChanged(_ writable: Bool) {
        pauseClientReads(!writable)
    }

    // MARK: Upstream events

    func upstreamRead(_ bytes: ByteBuffer, from connection: UpstreamConnection) {
        guard let exchange, exchange.upstream === connection else { return }
        exchange.lastUpstreamActivity = stream.now
        var bytes = bytes
        if exchange.responseFramer == nil {
            if exchange.responseBuffer == nil { exchange.responseBuffer = bytes } else { exchange.responseBuffer!.writeBuffer(&bytes) }
            parseResponseHead(exchange)
            return
        }
        forwardResponseBody(exchange, bytes)
    }

    private func parseResponseHead(_ exchange: Exchange) {
        guard let connection = exchange.upstream, var buffer = exchange.responseBuffer else { return }
        while true {
            let result: ResponseHeadParser.Result
            do {
                result = try ResponseHeadParser.parse(buffer, spareLines: &spareResponseLines)
            } catch {
                exchange.responseBuffer = nil
                attemptFailed(exchange, .badResponse)
                return
            }
            guard case .head(var head, let consumed) = consume result else {
                exchange.responseBuffer = buffer
                return
            }
            if (100..<200).contains(head.status) && head.status != 101 {
                // Interim responses (100 Continue) pass through; the final response follows.
                var interim = buffer.readSlice(length: consumed)!
                stream.write(interim)
                exchange.bytesOut += Int64(interim.readableBytes)
                interim.clear()
                flushPending = true
                continue
            }
            buffer.moveReaderIndex(forwardBy: consumed)
            exchange.responseBuffer = nil
            let route = exchange.route!
            if head.status == 502 || head.status == 503 || head.status == 504 {
                connection.target.recordFailure(threshold: route.unhealthyThreshold, ejectNanos: route.ejectNanos, now: stream.now)
                if canRetry(exchange, after: .upstreamStatus) {
                    exchange.lastFailure = .upstreamStatus
                    retry(exchange)
                    return
                }
            } else {
                connection.target.recordSuccess()
            }
            exchange.upstreamHeadAt = exchange.lastUpstreamActivity  // set by the read that brought the head
            exchange.responseStatus = head.status
            exchange.upstreamKeepAlive = !head.connectionClose
            var framer = BodyFramer(mode: head.bodyMode(requestWasHEAD: exchange.isHEAD))
            if framer.mode == .untilClose { closeAfterResponse = true }
            if !exchange.requestFramer.isComplete { closeAfterResponse = true }
            if shared.draining.load(ordering: .relaxed) { closeAfterResponse = true }
            let maximum = head.raw.readableBytes + exchange.requestID.utf8Count + route.lifecycleHeaders.count + exchange.corsLines.count + 192
            var out = buffers.take(capacity: maximum + buffer.readableBytes, allocator: Self.allocator)
            head.raw.withUnsafeReadableBytes { raw in
                out.writeRaw(maximumBytes: maximum) { writer in
                    writer.bytes(UnsafeRawBufferPointer(rebasing: raw[0..<head.statusLineEnd]))
                    for line in head.forwardedLines { writer.bytes(UnsafeRawBufferPointer(rebasing: raw[line])) }
                    writer.staticString("X-Request-Id: ")
                    writer.requestID(exchange.requestID)
                    writer.staticString("\r\n")
                    if let decision = exchange.rateLimit { Self.writeRateLimitHeaders(decision, into: &writer) }
                    writer.bytes(route.lifecycleHeaders)
                    // The version's CORS policy replaces the upstream's; without one, the upstream's passes.
                    if route.cors == nil {
                        for line in head.accessControlLines { writer.bytes(UnsafeRawBufferPointer(rebasing: raw[line])) }
                    }
                    writer.bytes(exchange.corsLines)
                    if closeAfterResponse { writer.staticString("Connection: close\r\n") }
                    writer.staticString("\r\n")
                }
            }
            swap(&spareResponseLines, &head.forwardedLines)
            do {
                let count = try framer.consume(buffer.readableBytesView)
                if count > 0 {
                    var body = buffer.readSlice(length: count)!
                    out.writeBuffer(&body)
                }
            } catch {
                exchange.responseFramer = framer
                abortExchange(exchange, errorKind: "bad-upstream-body")
                return
            }
            exchange.bytesOut += Int64(out.readableBytes)
            exchange.responseFramer = framer
            if framer.isComplete {
                // The whole response is here: one write-and-flush instead of a write now and a flush later.
                stream.writeAndFlush(out)
                flushPending = false
            } else {
                stream.write(out)
                flushPending = true
            }
            buffers.give(out)
            if buffer.readableBytes > 0 { exchange.upstreamKeepAlive = false }
            if framer.isComplete { responseComplete(exchange) }
            return
        }
    }

    private func forwardResponseBody(_ exchange: Exchange, _ bytes: ByteBuffer) {
        var bytes = bytes
        let count: Int
        do {
            count = try exchange.responseFramer!.consume(bytes.readableBytesView)
        } catch {
            abortExchange(exchange, errorKind: "bad-upstream-body")
            return
        }
        if count < bytes.readableBytes { exchange.upstreamKeepAlive = false }
        let slice = bytes.readSlice(length: count)!
        exchange.bytesOut += Int64(count)
        stream.write(slice)
        flushPending = true
        if !stream.isWritable, let upstream = exchange.upstream { upstream.setAutoRead(false) }
        if exchange.responseFramer!.isComplete { responseComplete(exchange) }
    }

    func upstreamReadComplete() {
        flushClientIfNeeded()
    }

    func upstreamClosed(_ connection: UpstreamConnection) {
        guard let exchange, exchange.upstream === connection else { return }
        connection.owner = nil
        exchange.upstream = nil
        if var framer = exchange.responseFramer {
            if framer.finishAtClose() {
                exchange.responseFramer = framer
                exchange.upstreamKeepAlive = false
                responseComplete(exchange)
            } else {
                abortExchange(exchange, errorKind: "upstream-closed")
            }
            return
        }
        attemptFailed(exchange, .closed)
    }

    // MARK: Failures, retries, timeouts

    enum FailureKind: String {
        case connect = "connect-failed"
        case closed = "upstream-closed"
        case timeout = "upstream-timeout"
        case badResponse = "bad-upstream-response"
        case upstreamStatus = "upstream-5xx"
    }

    /// Starts the read timeout of an attempt. The timer belongs to the connection and outlives
    /// requests: arming only records the time (and schedules when no earlier firing is pending),
    /// and a firing checks the current attempt's last upstream activity (bytes read from it or body
    /// bytes sent to it) and re-arms for the rest, so back-to-back requests neither schedule nor
    /// cancel timers.
    private func armReadTimeout(_ exchange: Exchange, now: UInt64) {
        guard let route = exchange.route else { return }
        exchange.lastUpstreamActivity = now
        exchange.readTimeoutArmed = true
        scheduleReadTimer(at: now &+ UInt64(route.readTimeout.nanoseconds))
    }

    private func scheduleReadTimer(at deadline: UInt64) {
        if readTimer != nil {
            // The usual case: a firing is already due no later (no reference taken to find that out).
            if readTimerFiresAt <= deadline { return }
            readTimer?.cancel()
        }
        readTimerFiresAt = deadline
        readTimer = stream.schedule(at: deadline) { [self] in
            readTimer = nil
            readTimerFired()
        }
    }

    private func readTimerFired() {
        guard phase != .closed, let exchange, exchange.readTimeoutArmed, let route = exchange.route else { return }
        let limit = UInt64(route.readTimeout.nanoseconds)
        let lastActivity = exchange.lastUpstreamActivity
        if stream.now &- lastActivity < limit {
            scheduleReadTimer(at: lastActivity &+ limit)
            return
        }
        exchange.readTimeoutArmed = false
        if exchange.responseFramer == nil {
            attemptFailed(exchange, .timeout)
        } else {
            abortExchange(exchange, errorKind: "upstream-timeout")
        }
    }

    private func canRetry(_ exchange: Exchange, after kind: FailureKind) -> Bool {
        guard let route = exchange.route, exchange.attempts <= route.retries, exchange.responseFramer == nil else { return false }
        // Nothing reached an upstream after a connect failure; otherwise only idempotent requests whose
        // body is still held may be sent again.
        if kind != .connect {
            guard exchange.isIdempotent else { return false }
            if exchange.requestFramer.bodyBytes > 0 && exchange.retainedBody == nil { return false }
        }
        return shared.retryBudget.allowRetry(now: stream.now)
    }

    private func attemptFailed(_ exchange: Exchange, _ kind: FailureKind) {
        guard let route = exchange.route else { return }
        exchange.disarmReadTimeout()
        metrics.upstreamError(kind.rawValue)
        if let target = exchange.target {
            target.recordFailure(threshold: route.unhealthyThreshold, ejectNanos: route.ejectNanos, now: stream.now)
        }
        exchange.lastFailure = kind
        if canRetry(exchange, after: kind) {
            retry(exchange)
            return
        }
        exchange.closeUpstream()
        if !exchange.requestFramer.isComplete { closeAfterResponse = true }
        respondLocally(kind == .timeout ? .gatewayTimeout() : .badGateway(), errorKind: kind.rawValue)
    }

    /// Sends the request again to another target (the failed attempt's connection is closed).
    private func retry(_ exchange: Exchange) {
        // The next attempt's timeout starts when its request is sent, not from the last one's reads.
        exchange.disarmReadTimeout()
        exchange.closeUpstream()
        exchange.requestSent = false
        exchange.responseBuffer = nil
        exchange.endAttempt()
        if let retained = exchange.retainedBody {
            exchange.pendingBody = retained
            exchange.retainedBody = nil
        }
        beginAttempt(exchange)
    }

    /// Ends an exchange whose response already started (or cannot be answered): closes both sides.
    private func abortExchange(_ exchange: Exchange, errorKind: String) {
        exchange.disarmReadTimeout()
        exchange.closeUpstream()
        exchange.endAttempt()
        finishRecord(exchange, status: exchange.responseStatus ?? 502, errorKind: errorKind)
        self.exchange = nil
        phase = .closed
        stream.flush()
        stream.close()
    }

    // MARK: Completion

    private func responseComplete(_ exchange: Exchange) {
        exchange.disarmReadTimeout()
        // The upstream's read-complete will no longer reach us once the connection is back in the pool.
        flushClientIfNeeded()
        exchange.endAttempt()
        if let upstream = exchange.upstream {
            exchange.upstream = nil
            if exchange.upstreamKeepAlive && exchange.requestFramer.isComplete {
                // Idle since its last read (a clock read fewer than asking now).
                pool.release(upstream, now: .uptimeNanoseconds(exchange.lastUpstreamActivity))
            } else {
                upstream.owner = nil
                upstream.stream.close()
            }
        }
        finishRecord(exchange, status: exchange.responseStatus ?? 0, errorKind: nil)
        self.exchange = nil
        endOfExchange()
    }

    /// After a response: close if asked to, else go on with pipelined requests.
    private func endOfExchange() {
        if closeAfterResponse {
            phase = .closed
            flushPending = false
            stream.closeAfterFlush()
            return
        }
        phase = .idle
        pauseClientReads(false)
        processInbound()
    }

    /// Answers with a problem document. The request body, if any is still coming, is skipped
    /// when its length is known and small; otherwise the connection closes after the answer.
    private func respondLocally(_ problem: GatewayProblem, errorKind: String? = nil) {
        guard let exchange else { return }
        exchange.disarmReadTimeout()
        exchange.endAttempt()
        if !exchange.requestFramer.isComplete {
            switch exchange.requestFramer.mode {
            case .length(let length) where length - exchange.requestFramer.bodyBytes <= 1 << 20:
                break
            default:
                closeAfterResponse = true
            }
        }
        var extra: [UInt8] = []
        if let decision = exchange.rateLimit {
            var headers = ByteBuffer()
            headers.writeRaw(maximumBytes: 128) { Self.writeRateLimitHeaders(decision, into: &$0) }
            extra = Array(headers.readableBytesView)
        }
        if let route = exchange.route, problem.status < 500 || problem.type == "fault-injected" { extra += route.lifecycleHeaders }
        extra += exchange.corsLines  // so a page's script can read why it was refused
        let buffer = problem.encode(
            requestID: exchange.requestID, extraHeaders: extra, close: closeAfterResponse || shared.draining.load(ordering: .relaxed),
            forHEAD: exchange.isHEAD, allocator: Self.allocator)
        sendLocalAnswer(buffer, status: problem.status, errorKind: errorKind ?? problem.type)
    }

    /// Answers a CORS preflight from an allowed origin (204, no body).
    private func answerPreflight(_ cors: CompiledCors, origin: [UInt8], method: [UInt8], headers: [UInt8]?) {
        guard let exchange else { return }
        if !exchange.requestFramer.isComplete { closeAfterResponse = true }  // preflights carry no body
        var lines = cors.preflightLines(origin: origin, requestedMethod: method, requestedHeaders: headers)
        lines += Array("X-Request-Id: \(exchange.requestID)\r\n".utf8)
        if closeAfterResponse || shared.draining.load(ordering: .relaxed) { lines += Array("Connection: close\r\n".utf8) }
        lines += [0x0D, 0x0A]
        var buffer = Self.allocator.buffer(capacity: lines.count)
        buffer.writeBytes(lines)
        sendLocalAnswer(buffer, status: 204, errorKind: nil)
    }

    /// Writes an answer the gateway made itself and ends the exchange (see `respondLocally` for
    /// what happens to a request body still coming).
    private func sendLocalAnswer(_ buffer: ByteBuffer, status: Int, errorKind: String?) {
        guard let exchange else { return }
        exchange.bytesOut += Int64(buffer.readableBytes)
        exchange.responseStatus = status
        stream.write(buffer)
        flushPending = true
        finishRecord(exchange, status: status, errorKind: errorKind)
        self.exchange = nil
        if !exchange.requestFramer.isComplete && !closeAfterResponse {
            discardFramer = exchange.requestFramer
            phase = .discardingBody
            flushClientIfNeeded()
            processInbound()
            return
        }
        flushClientIfNeeded()
        endOfExchange()
    }

    /// At most 120 bytes.
    static func writeRateLimitHeaders(_ decision: LimitDecision, into out: inout RawByteWriter) {
        out.staticString("RateLimit-Limit: ")
        out.decimal(decision.limit)
        out.staticString("\r\nRateLimit-Remaining: ")
        out.decimal(decision.remaining)
        out.staticString("\r\nRateLimit-Reset: ")
        out.decimal(decision.reset)
        out.staticString("\r\n")
    }

    /// Completes the exchange's record in place (a copy would retain and release each of its
    /// strings) and hands it to this loop's log shard. The client timeout counts from here: the
    /// connection now waits for its next head (the timer looks only while nothing is in progress).
    private func finishRecord(_ exchange: Exchange, status: Int, errorKind: String?) {
        let end = stream.now
        waitingSince = end
        let totalMs = Double(end &- exchange.start) / 1_000_000
        exchange.record.status = status
        exchange.record.attempts = exchange.attempts
        exchange.record.bytesIn = exchange.bytesIn
        exchange.record.bytesOut = exchange.bytesOut
        exchange.record.totalMs = totalMs
        if exchange.upstreamStart > 0 {
            exchange.record.upstreamMs = Double((exchange.upstreamHeadAt > 0 ? exchange.upstreamHeadAt : end) &- exchange.upstreamStart) / 1_000_000
        }
        exchange.record.errorKind = errorKind
        logs.append(&exchange.record)
        // Nothing reads the head's fields after this; the next request parses into their storage.
        swap(&spareHeaders, &exchange.head.headers)
        metrics.record(api: exchange.route?.route.apiID, status: status, seconds: totalMs / 1000)
    }
}

/// The state of one request while it is handled.
final class Exchange {
    var head: RequestHead
    let start: UInt64
    var route: CompiledRoute?
    var record: CallRecord
    let requestID: RequestID
    let traceparent: Traceparent
    /// Decided once from the method (reading them through `head` would copy the head each time).
    let isHEAD: Bool
    let isIdempotent: Bool
    var requestFramer = BodyFramer(mode: .none)
    /// The limiter's answer, sent back as `RateLimit-*` headers (nil for plans without limits).
    var rateLimit: LimitDecision?
    var tried = TargetSet()
    var targetIndex: Int?
    var target: UpstreamTarget?
    var attempts = 0
    /// Fault injection delayed the first attempt (so the request's start time is no longer "now").
    var delayed = false
    /// The current attempt counts in the target's in-flight number.
    var attemptOpen = false
    var lastFailure: ClientSession.FailureKind?
    var upstream: UpstreamConnection?
    var reusedConnection = false
    var requestSent = false
    /// Body bytes received before a connection was attached.
    var pendingBody = ByteBuffer()
    /// A copy of the body sent so far, while small enough to send again on a retry.
    var retainedBody: ByteBuffer?
    var responseBuffer: ByteBuffer?
    var responseFramer: BodyFramer?
    var responseStatus: Int?
    var upstreamKeepAlive = true
    var upstreamStart: UInt64 = 0
    var upstreamHeadAt: UInt64 = 0
    /// The last bytes read from the upstream or body bytes sent to it (the read timeout runs from here).
    var lastUpstreamActivity: UInt64 = 0
    var bytesIn: Int64 = 0
    var bytesOut: Int64 = 0
    /// The connection's read timer applies to this exchange (an attempt is waiting on its upstream).
    var readTimeoutArmed = false
    /// `Access-Control-*` lines for an allowed cross-origin caller (empty otherwise).
    var corsLines: [UInt8] = []

    static let retainLimit: Int64 = 64 * 1024

    init(head: consuming RequestHead, start: UInt64, timestamp: Double, clientIP: String, random: inout FastRandom) {
        self.start = start
        // Strings only for the values a client sent; generated ones stay numbers until written.
        let incoming = head.value(head.requestID)
        requestID = incoming.flatMap { Self.isValidRequestID($0) ? RequestID.text($0) : nil } ?? RequestID(random: &random)
        traceparent = head.value(head.traceparent).flatMap { Self.isValidTraceparent($0) ? Traceparent.text($0) : nil }
            ?? Traceparent(random: &random)
        isHEAD = head.isHEAD
        isIdempotent = head.isIdempotent
        record = CallRecord(
            timestamp: timestamp, requestID: requestID, method: head.slice(head.method), path: head.slice(head.target.lowerBound..<head.pathEnd),
            status: 0, attempts: 0, bytesIn: 0, bytesOut: 0, totalMs: 0, clientIP: clientIP, userAgent: head.userAgent.map { head.slice(head.headers[$0].value) })
        self.head = head
    }

    var canRetainBody: Bool { requestFramer.bodyBytes <= Self.retainLimit && isIdempotent }

    func disarmReadTimeout() {
        readTimeoutArmed = false
    }

    /// Lets go of the upstream connection mid-request and closes it (it cannot be reused).
    func closeUpstream() {
        guard let upstream else { return }
        upstream.owner = nil
        upstream.stream.close()
        self.upstream = nil
    }

    /// The current attempt stops counting in its target's in-flight number.
    func endAttempt() {
        if attemptOpen, let target { target.inFlight.wrappingDecrement(ordering: .relaxed) }
        attemptOpen = false
    }

    static func isValidRequestID(_ id: String) -> Bool {
        id.utf8.count <= 128 && !id.isEmpty && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
    }

    /// W3C trace context: version 00, 32 hex trace id, 16 hex parent id, 2 hex flags; not all zero.
    static func isValidTraceparent(_ value: String) -> Bool {
        let parts = value.split(separator: "-")
        guard parts.count == 4, parts[0].count == 2, parts[1].count == 32, parts[2].count == 16, parts[3].count == 2 else { return false }
        let hex = { (s: Substring) in s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) } }
        return parts.allSatisfy(hex) && parts[0] != "ff" && parts[1] != String(repeating: "0", count: 32) && parts[2] != String(repeating: "0", count: 16)
    }

}
