// SPDX-License-Identifier: Apache-2.0
// Foundation's types in the EventLog API: `Data` appends as a key or value
// without a copy, and a `Date` is a cursor position.
//
// A module of its own rather than a file in EventLog: Swift cannot compile
// code depending on whether the *caller* imports Foundation. `#if
// canImport(Foundation)` inside EventLog asks whether Foundation exists on the
// build machine, which it always does on Linux, so EventLog would import and
// link Foundation for everyone (libFoundation, FoundationEssentials,
// FoundationInternationalization and _FoundationICU: 64 MB of libraries that
// every program using libeventlog.so would then load). A program that uses Foundation depends on
// the `EventLogFoundation` product as well and imports it; everyone else
// never builds it.
public import EventLog
public import Foundation

/// `Data` lends its contiguous storage, like `[UInt8]`.
extension Data: RecordBytes {}

extension EventLog.Position {
    /// The first record stamped at or after `date`.
    public static func time(_ date: Date) -> EventLog.Position {
        .time(sinceEpoch: .seconds(date.timeIntervalSince1970))
    }
}
