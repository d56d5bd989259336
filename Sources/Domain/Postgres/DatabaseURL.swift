import Foundation
import PostgresNIO

/// `postgres://user:password@host:port/database` → a `PostgresClient.Configuration`.
public enum DatabaseURL {
    /// The same URL as a single-connection configuration (for LISTEN).
    public static func connectionConfiguration(_ url: String) throws -> PostgresConnection.Configuration {
        let client = try configuration(url)
        return PostgresConnection.Configuration(
            host: client.host ?? "127.0.0.1", port: client.port ?? 5432, username: client.username, password: client.password,
            database: client.database, tls: .disable)
    }

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
