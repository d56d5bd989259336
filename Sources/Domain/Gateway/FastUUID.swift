import Foundation

/// Parses the canonical 36-character UUID text without Foundation's general parser: loading a
/// large configuration parses hundreds of thousands of them.
enum FastUUID {
    static func parse<C: Collection>(_ text: C) -> UUID? where C.Element == UInt8 {
        guard text.count == 36 else { return nil }
        var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var ok = true
        withUnsafeMutableBytes(of: &bytes) { out in
            var outIndex = 0
            var high: UInt8?
            var position = 0
            for character in text {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    if character != 0x2D { ok = false; return }
                    position += 1
                    continue
                }
                position += 1
                let value: UInt8
                switch character {
                case 0x30...0x39: value = character - 0x30
                case 0x61...0x66: value = character - 0x57
                case 0x41...0x46: value = character - 0x37
                default: ok = false; return
                }
                if let h = high {
                    out[outIndex] = h << 4 | value
                    outIndex += 1
                    high = nil
                } else {
                    high = value
                }
            }
        }
        return ok ? UUID(uuid: bytes) : nil
    }
}
