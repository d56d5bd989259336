import Foundation
import NIOCore
import Testing

@testable import Portal

/// The portal's response encoder must write what Foundation's `JSONEncoder` (ISO 8601 dates) writes.
@Suite struct StreamingJSONEncoderTests {
    enum Color: String, Codable { case red, green }

    struct Empty: Codable {}

    struct Inner: Codable {
        var name: String
        var weight: Double?
        var tags: [String]
    }

    struct Sample: Codable {
        var id: UUID
        var title: String
        var count: Int
        var big: Int64
        var small: Int16
        var ratio: Double
        var whole: Double
        var tiny: Double
        var flag: Bool
        var missing: String?
        var at: Date
        var color: Color
        var inner: Inner
        var inners: [Inner]
        var nested: [[Int]]
        var optionals: [Int?]
        var map: [String: JSONValue]
        var empty: Empty
        var emptyList: [Inner]
        var link: URL
        var bytes: Data
    }

    static let sample = Sample(
        id: UUID(uuidString: "01a2195a-2a35-7358-b244-a5b5aaa280f1")!,
        title: "Quotes \" backslash \\ slash / newline \n tab \t bell \u{07} é 日本 🚀",
        count: -42, big: Int64.max, small: -7, ratio: 0.01, whole: 5, tiny: 1e-7, flag: true, missing: nil,
        at: Date(timeIntervalSince1970: 1_795_721_932.75), color: .green,
        inner: Inner(name: "a", weight: nil, tags: []),
        inners: [Inner(name: "b", weight: 2.5, tags: ["x", "y"]), Inner(name: "c", weight: 1e21, tags: ["z"])],
        nested: [[1, 2], [], [3]], optionals: [1, nil, 3],
        map: ["k": .array([.null, .bool(false), .number(3.25), .string("s"), .object(["deep": .number(1)])])],
        empty: Empty(), emptyList: [], link: URL(string: "https://example.com/a?b=c")!, bytes: Data([0, 1, 2, 250]))

    static func foundation<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    static func streaming<T: Encodable>(_ value: T) throws -> Data {
        var buffer = try StreamingJSONEncoder.encode(value)
        return Data(buffer.readBytes(length: buffer.readableBytes)!)
    }

    @Test func sameDocumentAsFoundation() throws {
        let text = try Self.streaming(Self.sample)
        let expected = try JSONSerialization.jsonObject(with: Self.foundation(Self.sample)) as! NSObject
        let actual = try JSONSerialization.jsonObject(with: text) as! NSObject
        #expect(actual.isEqual(expected), "\(String(decoding: text, as: UTF8.self))")
        // And it decodes back to the same value.
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(Sample.self, from: text)
        #expect(decoded.title == Self.sample.title)
        #expect(decoded.at == Date(timeIntervalSince1970: 1_795_721_932))
        #expect(decoded.inners.count == 2)
    }

    @Test func exactTextForNumbersDatesAndOmittedNils() throws {
        struct Small: Encodable {
            var a: Double = 5
            var b: Double = 0.5
            var c: String? = nil
            var d: Date = Date(timeIntervalSince1970: 0)
            var e: [Int] = []
        }
        #expect(String(decoding: try Self.streaming(Small()), as: UTF8.self) == #"{"a":5,"b":0.5,"d":"1970-01-01T00:00:00Z","e":[]}"#)
        #expect(String(decoding: try Self.streaming([1, 2]), as: UTF8.self) == "[1,2]")
        #expect(String(decoding: try Self.streaming("x"), as: UTF8.self) == #""x""#)
        #expect(String(decoding: try Self.streaming(Empty()), as: UTF8.self) == "{}")
    }

    @Test func nonFiniteNumbersAreAnError() {
        #expect(throws: EncodingError.self) { try Self.streaming([Double.nan]) }
        #expect(throws: EncodingError.self) { try Self.streaming(["x": Double.infinity]) }
    }
}
