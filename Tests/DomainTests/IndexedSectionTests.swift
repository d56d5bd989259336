import Testing

@testable import Domain

/// The loader's section store: removals move the last record into the gap, and every id must
/// still find its record afterwards.
@Suite struct IndexedSectionTests {
    struct Record: Equatable, Sendable {
        var id: Int
        var value: String
    }

    @Test func removalsAndReplacementsKeepEveryPositionRight() {
        var section = IndexedSection((1...6).map { Record(id: $0, value: "v\($0)") } + [Record(id: 3, value: "again")], id: \.id)
        #expect(section.count == 6)
        #expect(section[3]?.value == "again")  // the last of duplicates wins

        #expect(section.remove(2, idOf: \.id)?.value == "v2")  // from the middle: 6 moves into its place
        #expect(section.remove(6, idOf: \.id)?.value == "v6")  // the one that moved
        #expect(section.remove(5, idOf: \.id)?.value == "v5")  // the last one
        #expect(section.remove(42, idOf: \.id) == nil)
        #expect(section.upsert(Record(id: 4, value: "new"), id: 4)?.value == "v4")
        #expect(section.upsert(Record(id: 7, value: "v7"), id: 7) == nil)

        #expect(Set(section.list.map(\.id)) == [1, 3, 4, 7])
        for record in section.list { #expect(section[record.id] == record) }
        #expect(section[2] == nil && section[5] == nil && section[6] == nil)

        let same = IndexedSection(section.list.reversed(), id: \.id)
        #expect(section.hasSameRecords(as: same))
        var different = same
        different.upsert(Record(id: 7, value: "changed"), id: 7)
        #expect(!section.hasSameRecords(as: different))
    }

    @Test func aDeltaReportsWhatLeftAndWhatCame() {
        var section = IndexedSection((1...4).map { Record(id: $0, value: "v\($0)") }, id: \.id)
        // 1 is deleted; 2 has a tombstone but exists again (changed); 3 is sent unchanged; 5 is new.
        let delta = section.apply(
            removing: [1, 2, 9],
            changed: [Record(id: 2, value: "v2'"), Record(id: 3, value: "v3"), Record(id: 5, value: "v5")],
            idOf: \.id)
        #expect(delta.removed.map(\.value).sorted() == ["v1", "v2"])
        #expect(delta.added.map(\.value).sorted() == ["v2'", "v5"])
        #expect(Set(section.list.map(\.value)) == ["v2'", "v3", "v4", "v5"])
        for record in section.list { #expect(section[record.id] == record) }
    }
}
