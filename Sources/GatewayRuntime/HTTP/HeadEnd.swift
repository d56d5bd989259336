/// Where an HTTP/1.x head ends: just past the first "\r\n\r\n". Shared by the request and
/// response parsers; looks at every fourth byte while none of them is CR or LF.
enum HeadEnd {
    /// The offset just past the blank line, if it lies within `start..<limit`.
    static func find(in bytes: UnsafeRawBufferPointer, from start: Int, limit: Int) -> Int? {
        var index = start
        while index + 3 < limit {
            if bytes[index + 3] == 0x0A {
                if bytes[index] == 0x0D, bytes[index + 1] == 0x0A, bytes[index + 2] == 0x0D { return index + 4 }
                index += 1
            } else if bytes[index + 3] == 0x0D || bytes[index + 3] == 0x0A {
                index += 1
            } else {
                index += 4
            }
        }
        return nil
    }
}
