import NIOCore

enum ByteBufferAllocatorCompat {
    static func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}
