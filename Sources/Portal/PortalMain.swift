import Configuration
import Hummingbird

/// The portal process: `/api/v1`, the portal pages in `public/`, and migrations at start.
/// Configuration comes from environment variables (see `PortalSettings`).
@main
struct PortalMain {
    static func main() async throws {
        let reader = ConfigReader(provider: EnvironmentVariablesProvider())
        let app = try await buildApplication(reader: reader)
        try await app.runService()
    }
}
