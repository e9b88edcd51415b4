// SPDX-License-Identifier: Apache-2.0
// The settings of an open log, already checked and with defaults applied
// (the public API maps its options onto this).
import EventLogFormat
import Glibc

public enum SyncMode: Sendable {
    /// The OS writes the mapped pages back when it likes.
    case none
    /// Every written batch is synced before the next is written.
    case batch
    /// Synced at least this often (nanoseconds).
    case interval(UInt64)
}

public struct LogConfiguration: Sendable {
    public var readOnly = false
    public var segmentBytes = 256 << 20
    public var batchMaxBytes = 256 << 10
    public var lingerNanoseconds: UInt64 = 1_000_000
    public var compression: Compression = .lz4
    public var syncMode: SyncMode = .none
    public var retentionBytes: UInt64 = 0
    public var retentionMilliseconds: Int64 = 0
    /// Retention keeps segments holding offsets a named cursor has not committed past.
    public var retainUncommitted = false
    public var fileMode: mode_t = 0o644

    /// The largest record accepted (key + value + headers).
    public static let maxRecordBytes = 64 << 20

    public init() {}
}
