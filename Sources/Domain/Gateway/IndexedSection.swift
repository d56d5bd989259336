/// The records of a config section as the list handed to the compiler, with each record's
/// position by id, so a delta load patches the list in place. Keeping positions (a few bytes a
/// record) instead of a second copy of every record keeps the loader's memory small at 100,000s
/// of keys and subscriptions. Order carries no meaning: a removal moves the last record into
/// the gap.
struct IndexedSection<ID: Hashable & Sendable, Element: Equatable & Sendable>: Sendable {
    private(set) var list: [Element]
    private var positions: [ID: Int]

    /// One record per id (the last of duplicates wins).
    init(_ records: [Element], id: (Element) -> ID) {
        list = []
        list.reserveCapacity(records.count)
        positions = [:]
        positions.reserveCapacity(records.count)
        for record in records { upsert(record, id: id(record)) }
    }

    var count: Int { list.count }

    subscript(id: ID) -> Element? {
        positions[id].map { list[$0] }
    }

    /// Removes the record with this id; returns it.
    @discardableResult
    mutating func remove(_ id: ID, idOf: (Element) -> ID) -> Element? {
        guard let position = positions.removeValue(forKey: id) else { return nil }
        let removed = list[position]
        let last = list.removeLast()
        if position < list.count {
            list[position] = last
            positions[idOf(last)] = position
        }
        return removed
    }

    /// Adds or replaces the record with this id; returns the one it replaced.
    @discardableResult
    mutating func upsert(_ record: Element, id: ID) -> Element? {
        if let position = positions[id] {
            let old = list[position]
            list[position] = record
            return old
        }
        positions[id] = list.count
        list.append(record)
        return nil
    }

    /// Applies a delta load: the records with `removedIDs` leave, then `changed` records that
    /// differ from what is held come in (so a row that exists now wins over a tombstone of the
    /// same id). Returns the records that left or were replaced (as they were) and those that came
    /// in (as they are).
    mutating func apply(removing removedIDs: [ID], changed: [Element], idOf: (Element) -> ID) -> (removed: [Element], added: [Element]) {
        var removed: [Element] = []
        var added: [Element] = []
        for id in removedIDs {
            if let old = remove(id, idOf: idOf) { removed.append(old) }
        }
        for record in changed where self[idOf(record)] != record {
            if let old = upsert(record, id: idOf(record)) { removed.append(old) }
            added.append(record)
        }
        return (removed, added)
    }

    /// The same records, in any order.
    func hasSameRecords(as other: IndexedSection) -> Bool {
        guard count == other.count else { return false }
        for (id, position) in positions where other[id] != list[position] { return false }
        return true
    }
}
