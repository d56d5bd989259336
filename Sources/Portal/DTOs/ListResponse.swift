import Domain
import Hummingbird

/// Every list endpoint answers `{ "items": [...], "nextCursor": "..." }`; pass `nextCursor` as
/// `cursor` to get the next page. `nextCursor` is absent on the last page.
struct ListResponse<Item: Encodable & Sendable>: ResponseEncodable, Sendable {
    var items: [Item]
    var nextCursor: String?

    init(items: [Item], nextCursor: String? = nil) {
        self.items = items
        self.nextCursor = nextCursor
    }

    init<Model>(_ page: Page<Model>, _ transform: (Model) -> Item) {
        items = page.items.map(transform)
        nextCursor = page.nextCursor
    }
}
