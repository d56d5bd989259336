import Hummingbird
import Configuration
import ServiceLifecycle
import Domain
@main struct PortalMain { static func main() async throws { print("portal") } }
