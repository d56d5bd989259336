// The floor of a Swift proxy without SwiftNIO: one thread, one level-triggered epoll set, raw
// sockets. Each client connection is paired with its own upstream connection and bytes are
// relayed verbatim, exactly what `bench/relay-probe` does on SwiftNIO, so the two measure the
// cost of the I/O layer alone. Run next to `HOLD=1 bench/gateway.sh`:
//   cd bench/epoll-probe && swift build -c release && taskset -c 0 .build/release/EpollProbe PORT UPSTREAM_PORT
import CEpoll
import Glibc

let args = CommandLine.arguments
let port = UInt16(args[1])!, upstreamPort = UInt16(args[2])!

func check(_ result: Int32, _ what: String) -> Int32 {
    if result < 0 { perror(what); exit(1) }
    return result
}

func loopback(_ port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

func setNoDelay(_ fd: Int32) {
    var one: Int32 = 1
    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
}

let listener = check(socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0), "socket")
var one: Int32 = 1
_ = setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
var listenAddress = loopback(port)
_ = check(withUnsafePointer(to: &listenAddress) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }, "bind")
_ = check(listen(listener, 1024), "listen")

let epoll = check(epoll_create1(0), "epoll_create1")
func watch(_ fd: Int32) {
    var event = epoll_event()
    event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
    event.data.fd = fd
    _ = check(epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event), "epoll_ctl")
}
watch(listener)

// peer[fd] is the other end of fd's pair (-1: none). Upstream connects are blocking on loopback
// (they complete at once); the relay itself never blocks.
var peer = [Int32](repeating: -1, count: 65536)
let scratch = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 16)
var events = [epoll_event](repeating: epoll_event(), count: 256)

func closePair(_ fd: Int32) {
    let other = peer[Int(fd)]
    peer[Int(fd)] = -1
    close(fd)
    if other >= 0 {
        peer[Int(other)] = -1
        close(other)
    }
}

while true {
    let count = events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, 256, -1) }
    if count < 0 { continue }
    for index in 0..<Int(count) {
        let fd = events[index].data.fd
        if fd == listener {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { break }
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                setNoDelay(client)
                let upstream = check(socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0), "socket")
                var address = loopback(upstreamPort)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if connected < 0 {
                    close(upstream)
                    close(client)
                    continue
                }
                _ = fcntl(upstream, F_SETFL, fcntl(upstream, F_GETFL) | O_NONBLOCK)
                setNoDelay(upstream)
                peer[Int(client)] = upstream
                peer[Int(upstream)] = client
                watch(client)
                watch(upstream)
            }
            continue
        }
        let other = peer[Int(fd)]
        if other < 0 { continue }
        let received = read(fd, scratch, 65536)
        if received <= 0 {
            if received == 0 || errno != EAGAIN { closePair(fd) }
            continue
        }
        // Small messages: the peer's socket buffer takes them whole (a probe, not a proxy).
        if write(other, scratch, received) != received { closePair(fd) }
    }
}
