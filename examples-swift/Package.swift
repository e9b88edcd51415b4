// swift-tools-version:6.0
// SPDX-License-Identifier: Apache-2.0
//
// A Swift program that uses libeventlog through its Swift API, as an
// application would: it depends on this repository by path.
//
//   swift run --package-path examples-swift eventlog-example /tmp/example.log
//
// SwiftPM gives a path dependency the identity of its folder's last path
// component, which is the name of whatever folder the repository was cloned
// into ("main", "libeventlog", "repo-1234", ...). Naming the dependency
// "eventlog" here lets the target refer to it as "eventlog" from any clone
// folder; an application depending on the repository by URL writes
// .package(url: ..., from: "0.1.0") and the same .product line.
import PackageDescription

let package = Package(
    name: "eventlog-example",
    dependencies: [
        .package(name: "eventlog", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "eventlog-example",
            dependencies: [.product(name: "EventLog", package: "eventlog")])
    ]
)
