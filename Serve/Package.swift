// swift-tools-version:6.0
// SPDX-License-Identifier: Apache-2.0
//
// eventlog-serve: libeventlog's logs over WebSocket, Server-Sent Events and
// HTTP, on Hummingbird 2 and SwiftNIO. A package of its own that depends on
// the library's by path, so that building or testing the library (`swift
// test` in the repository root) never compiles the server stack.
//
//   swift build -c release --package-path Serve --product eventlog-serve
//
// EventLogServe (the server) ← EventLogServeTool (the `eventlog-serve`
// program, which `eventlog serve` runs); ServeEchoBench is the ceiling of
// bench/serve_bench.py and ServeLatencyBench its native followers.
import PackageDescription

let package = Package(
    name: "eventlog-serve",
    products: [
        .executable(name: "eventlog-serve", targets: ["EventLogServeTool"]),
        .executable(name: "serve-echo", targets: ["ServeEchoBench"]),
        .executable(name: "serve-latency", targets: ["ServeLatencyBench"]),
    ],
    dependencies: [
        .package(name: "eventlog", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    ],
    targets: [
        .target(name: "CServeShims"),
        .target(
            name: "EventLogServe",
            dependencies: [
                "CServeShims",
                .product(name: "EventLog", package: "eventlog"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .executableTarget(
            name: "EventLogServeTool",
            dependencies: [
                "EventLogServe", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "ServeEchoBench",
            dependencies: [.product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")]),
        .executableTarget(
            name: "ServeLatencyBench",
            dependencies: [.product(name: "HummingbirdWSClient", package: "hummingbird-websocket")]),
    ]
)
