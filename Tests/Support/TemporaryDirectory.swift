// SPDX-License-Identifier: Apache-2.0
// A fresh directory per test, removed afterwards: the one scratch-space
// helper every test target uses.
import Foundation

public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    /// A new directory under the system's temporary directory, named after
    /// the calling test so a leftover one tells where it came from.
    public init(_ name: String = #function) {
        let base = FileManager.default.temporaryDirectory.path
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = "\(base)/eventlog-test-\(safe)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory (not created).
    public func child(_ name: String) -> String { path + "/" + name }

    /// The names of the files in `directory` (default: this one) ending in `suffix`, sorted.
    public func files(withSuffix suffix: String, in directory: String? = nil) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory ?? path)) ?? []).filter {
            $0.hasSuffix(suffix)
        }
        .sorted()
    }
}
