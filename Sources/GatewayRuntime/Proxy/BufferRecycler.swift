import NIOCore

/// Buffers the gateway wrote heads into (upstream request heads, response heads), kept for
/// reuse on one event loop. Once the socket has taken a buffer's bytes — usually within the
/// write call — this list is its only owner, and the next head is written into it instead of a
/// new allocation. A buffer still held by a pending write is not written into: `clear` gives it
/// new storage (copy on write). Bounded per loop, so idle connections hold none.
final class BufferRecycler {
    private var spare: [ByteBuffer] = []
    private let limit: Int
    private let maxCapacity: Int

    init(limit: Int = 64, maxCapacity: Int = 4096) {
        self.limit = limit
        self.maxCapacity = maxCapacity
        spare.reserveCapacity(limit)
    }

    /// An empty buffer with room for `capacity` bytes.
    func take(capacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard var buffer = spare.popLast() else { return allocator.buffer(capacity: capacity) }
        buffer.clear(minimumCapacity: capacity)
        return buffer
    }

    /// Hands back a buffer after it was written (large ones are let go).
    func give(_ buffer: ByteBuffer) {
        if spare.count < limit && buffer.capacity <= maxCapacity { spare.append(buffer) }
    }
}
