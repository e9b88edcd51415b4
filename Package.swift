// swift-tools-version:6.0
// SPDX-License-Identifier: Apache-2.0
//
// libeventlog: an embeddable append-only event log in Kafka's segment format.
//
// Modules depend one way: EventLogFormat (bytes, no I/O) ← EventLogStorage
// (files, mappings, segments) ← EventLog (the public Swift API) ← EventLogCABI
// (the C ABI, shipped as libeventlog.so) and EventLogCLI (the `eventlog` tool).
// EventLogKafka (ship to and import from Kafka through librdkafka) sits beside
// EventLogCABI: only the CLI uses it, so neither libeventlog.so nor the
// EventLog product needs librdkafka. EventLogJobs (MapReduce over a log) sits
// there too, above EventLog. EventLogFoundation (Data and Date in the Swift
// API) is the only module that imports Foundation. The WebSocket/HTTP server
// (`eventlog serve`) is a package of its own in Serve/, on Hummingbird and
// SwiftNIO, so that nothing built here, `swift test` included, needs them.
//
// No unsafe build flags here, so other packages can depend on this one: CMake passes
// the shared library's SONAME and export list on the `swift build` command line.
import PackageDescription

let package = Package(
    name: "eventlog",
    products: [
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "EventLogFoundation", targets: ["EventLogFoundation"]),
        .library(name: "EventLogKafka", targets: ["EventLogKafka"]),
        .library(name: "EventLogJobs", targets: ["EventLogJobs"]),
        .library(name: "eventlog", type: .dynamic, targets: ["EventLogCABI"]),
        .executable(name: "eventlog-cli", targets: ["EventLogCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Only a command plugin (`swift package generate-documentation`): a
        // package depending on this one compiles nothing of it into its build.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4", pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(
            name: "CRdKafka", pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]),
        .target(name: "CEventLogShims"),
        .target(name: "CEventLogHeader"),
        .target(name: "EventLogFormat", dependencies: ["CLZ4", "CEventLogShims"]),
        .target(name: "EventLogStorage", dependencies: ["EventLogFormat", "CEventLogShims"]),
        .target(name: "EventLog", dependencies: ["EventLogStorage", "EventLogFormat"]),
        .target(name: "EventLogFoundation", dependencies: ["EventLog"]),
        .target(
            name: "EventLogCABI", dependencies: ["EventLog", "EventLogStorage", "EventLogFormat", "CEventLogHeader"]),
        .target(
            name: "EventLogKafka", dependencies: ["EventLog", "EventLogStorage", "EventLogFormat", "CRdKafka"]),
        .target(name: "EventLogJobs", dependencies: ["EventLog", "EventLogStorage", "EventLogFormat"]),
        .executableTarget(
            name: "EventLogCLI",
            dependencies: [
                "EventLog", "EventLogFormat", "EventLogStorage", "EventLogKafka", "EventLogJobs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // What every test target shares: a scratch directory, a seeded generator, a lock.
        .target(name: "EventLogTestSupport", path: "Tests/Support"),
        .testTarget(name: "EventLogFormatTests", dependencies: ["EventLogFormat", "CLZ4", "EventLogTestSupport"]),
        .testTarget(
            name: "EventLogStorageTests", dependencies: ["EventLogStorage", "EventLogFormat", "EventLogTestSupport"]),
        .testTarget(name: "EventLogKafkaTests", dependencies: ["EventLogKafka"]),
        .testTarget(
            name: "EventLogJobsTests",
            dependencies: ["EventLogJobs", "EventLog", "EventLogStorage", "EventLogFormat", "EventLogTestSupport"]),
        .testTarget(
            name: "EventLogTests",
            dependencies: [
                "EventLog", "EventLogFoundation", "EventLogStorage", "EventLogFormat", "EventLogCABI",
                "CEventLogHeader", "EventLogCLI", "EventLogTestSupport",
            ]),
        .executableTarget(
            name: "FuzzBatchDecoder", dependencies: ["EventLogFormat", "EventLogStorage"],
            path: "Tests/fuzz/FuzzBatchDecoder"),
    ]
)
