// SPDX-License-Identifier: Apache-2.0
// Kafka's file names: a segment's base offset as 20 zero-padded decimal
// digits, followed by the kind of file (LogFileUtils.filenamePrefixFromOffset).
package enum SegmentFileKind: String, CaseIterable, Sendable {
    case log = ".log"
    case offsetIndex = ".index"
    case timeIndex = ".timeindex"
}

package enum SegmentFileName {
    package static func name(base: Int64, _ kind: SegmentFileKind) -> String {
        let digits = String(base)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + kind.rawValue
    }

    package static func path(directory: String, base: Int64, _ kind: SegmentFileKind) -> String {
        directory + "/" + name(base: base, kind)
    }

    /// The base offset of a file named `<20 digits><kind>`, or nil.
    package static func parse(_ name: String, _ kind: SegmentFileKind) -> Int64? {
        guard name.hasSuffix(kind.rawValue) else { return nil }
        let digits = name.utf8.prefix(name.utf8.count - kind.rawValue.utf8.count)
        guard digits.count == 20, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(Substring(digits))
    }
}
