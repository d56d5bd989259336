import Foundation
import PostgresNIO

/// The locked read at the start of every subscription decision, with the version's state.
///
/// Prepared once per pooled connection: planning its nine-table join cost ~2.5 ms, several times
/// more than running it, and decisions queue on the row lock, so every millisecond inside the
/// transaction is paid again by each waiting approver.
struct SubscriptionForDecision: PostgresPreparedStatement {
    static let sql = """
        SELECT \(SubscriptionColumns.select), v.state AS version_state FROM \(SubscriptionColumns.from)
        WHERE s.id = $1 AND s.tenant_id = $2 FOR UPDATE OF s
        """

    typealias Row = (subscription: Subscription, versionState: String)

    var id: UUID
    var tenantID: UUID

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(id)
        bindings.append(tenantID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let columns = row.makeRandomAccess()
        return (try SubscriptionColumns.decode(columns), try columns.get("version_state"))
    }

    /// Runs the statement; nil when there is no such subscription in the tenant.
    static func fetch(id: UUID, tenantID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Row? {
        for try await row in try await connection.execute(Self(id: id, tenantID: tenantID), logger: logger) {
            return row
        }
        return nil
    }
}
