// SPDX-License-Identifier: Apache-2.0
// The settings of an open log, already checked and with defaults applied
// (the public API maps its options onto this).
package import EventLogFormat
import Glibc

package enum SyncMode: Sendable {
    /// The OS writes the mapped pages back when it likes.
    case none
    /// Every written batch is synced before the next is written.
    case batch
    /// Synced at least this often (nanoseconds).
    case interval(UInt64)
}

package struct LogConfiguration: Sendable {
    package var readOnly = false
    package var segmentBytes = 256 << 20
    package var batchMaxBytes = 256 << 10
    package var lingerNanoseconds: UInt64 = 1_000_000
    package var compression: Compression = .lz4
    package var syncMode: SyncMode = .none
    package var retentionBytes: UInt64 = 0
    package var retentionMilliseconds: Int64 = 0
    /// Retention keeps segments holding offsets a named cursor has not committed past.
    package var retainUncommitted = false
    package var fileMode: mode_t = 0o644

    /// The largest record accepted (key + value + headers).
    package static let maxRecordBytes = 64 << 20

    package init() {}
}
