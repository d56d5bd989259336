// swift-tools-version:5.9
import PackageDescription
let package = Package(
    name: "EpollProbe",
    targets: [
        .target(name: "CEpoll"),
        .executableTarget(name: "EpollProbe", dependencies: ["CEpoll"]),
    ]
)
