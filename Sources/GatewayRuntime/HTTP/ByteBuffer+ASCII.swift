import NIOCore
import struct Foundation.UUID

extension ByteBuffer {
    /// Writes `value` in decimal, left-padded with zeros to `minimumWidth`, in one copy and
    /// without going through `String`.
    @inline(__always)
    mutating func writeDecimal(_ value: Int64, minimumWidth: Int = 1) {
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { scratch in
            var start = 24
            repeat {
                start -= 1
                scratch[start] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                magnitude /= 10
            } while magnitude > 0
            while 24 - start < min(minimumWidth, 23) {
                start -= 1
                scratch[start] = 0x30
            }
            if value < 0 {
                start -= 1
                scratch[start] = UInt8(ascii: "-")
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[start..<24]))
        }
    }
}

extension ByteBuffer {
    /// Writes the lower-case canonical text of a UUID (`8-4-4-4-12`) without building a `String`.
    mutating func writeUUID(_ uuid: UUID) {
        let digits: StaticString = "0123456789abcdef"
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
            withUnsafeBytes(of: uuid.uuid) { bytes in
                digits.withUTF8Buffer { hex in
                    var position = 0
                    for index in 0..<16 {
                        if index == 4 || index == 6 || index == 8 || index == 10 {
                            text[position] = UInt8(ascii: "-")
                            position += 1
                        }
                        text[position] = hex[Int(bytes[index] >> 4)]
                        text[position + 1] = hex[Int(bytes[index] & 0x0F)]
                        position += 2
                    }
                }
            }
            writeBytes(UnsafeRawBufferPointer(text))
        }
    }
}
