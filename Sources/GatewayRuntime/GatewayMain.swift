import NIOCore
import NIOPosix
import NIOSSL
import Atomics
import Domain
import PostgresNIO
@main struct GatewayMain { static func main() async throws { print("gw") } }
