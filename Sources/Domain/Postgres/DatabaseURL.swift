import Foundation
import PostgresNIO

/// `postgres://user:password@host:port/database` → a `PostgresClient.Configuration`.
public enum DatabaseURL {
    public static func configuration(_ url: String, maximumConnections: Int = 20) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else {
            throw DomainError.invalid("PORTICO_DATABASE_URL", "must look like postgres://user:password@host:5432/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? "portico" : database, tls: .disable)
        configuration.options.maximumConnections = maximumConnections
        return configuration
    }
}
