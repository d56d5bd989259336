/// Indexes of a route's targets an exchange already tried. A bit mask for the first 64 targets
/// (every realistic route), so the common single attempt allocates nothing; larger indexes
/// spill into an array.
struct TargetSet: ExpressibleByArrayLiteral, Equatable {
    private var low: UInt64 = 0
    private var high: [Int] = []

    init() {}

    init(arrayLiteral elements: Int...) {
        for element in elements { insert(element) }
    }

    mutating func insert(_ index: Int) {
        if index < 64 { low |= 1 << UInt64(index) } else if !high.contains(index) { high.append(index) }
    }

    @inline(__always)
    func contains(_ index: Int) -> Bool {
        index < 64 ? low & (1 << UInt64(index)) != 0 : high.contains(index)
    }
}
