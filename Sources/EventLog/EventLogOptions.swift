// SPDX-License-Identifier: Apache-2.0
// The settings of `EventLog.open`, mirroring the C API's eventlog_options,
// and their translation into the storage layer's checked configuration.
// SyncMode mirrors the storage layer's on purpose: see Exports.swift.
internal import EventLogFormat
internal import EventLogStorage

/// How ``EventLog/init(path:options:)`` opens a log: read-only or writable,
/// segment and batch sizes, compression, durability and retention.
public struct EventLogOptions: Sendable {
    public enum Compression: Sendable { case lz4, none }

    public enum SyncMode: Sendable, Equatable {
        /// The OS writes pages back when it likes; a batch survives a crash of
        /// the process, not a power loss, until `sync()`.
        case none
        /// Every written batch is synced before the next is written.
        case batch
        /// Synced at least every `milliseconds`.
        case interval(Duration)
    }

    // The defaults are the storage layer's, defined once there.
    public static let defaultSegmentBytes = UInt64(LogConfiguration().segmentBytes)
    public static let maxSegmentBytes: UInt64 = 2_147_483_647
    public static let minSegmentBytes: UInt64 = 4096
    public static let defaultBatchMaxBytes = UInt32(LogConfiguration().batchMaxBytes)
    public static let defaultLinger = Duration.nanoseconds(Int64(LogConfiguration().lingerNanoseconds))
    /// The interval of `.interval` that the C API and the tool use by default.
    public static let defaultSyncInterval = Duration.seconds(1)
    /// The largest record accepted: key + value + header keys and values.
    public static let maxRecordBytes = LogConfiguration.maxRecordBytes

    public var readOnly = false
    public var segmentBytes = defaultSegmentBytes
    public var batchMaxBytes = defaultBatchMaxBytes
    /// How long a producer batch waits for more records before it is
    /// written (a full batch or ``EventLog/flush()`` writes at once).
    public var linger = defaultLinger
    public var compression = Compression.lz4
    public var syncMode = SyncMode.none
    /// Delete the oldest segments beyond this total; 0 keeps everything.
    public var retentionBytes: UInt64 = 0
    /// Delete segments whose records are all older; 0 keeps everything.
    public var retentionMilliseconds: Int64 = 0
    /// Retention never deletes a segment holding offsets that a named cursor
    /// has not committed past (EVENTLOG_RETAIN_UNCOMMITTED).
    public var retainUncommitted = false
    /// Permission bits of created files (narrowed by the umask).
    public var fileMode: UInt32 = 0o644

    public init() {}

    /// Bounds that keep nanosecond arithmetic on the monotonic clock far
    /// from overflow: the C API's fields (UInt32 µs and ms) stay inside.
    static let longestLinger = Duration.seconds(4_295)
    static let longestSyncInterval = Duration.seconds(4_294_968)

    func configuration() throws(EventLogError) -> LogConfiguration {
        try require(
            (Self.minSegmentBytes...Self.maxSegmentBytes).contains(segmentBytes),
            "segment_bytes: \(segmentBytes) is outside \(Self.minSegmentBytes)...\(Self.maxSegmentBytes)")
        try require(batchMaxBytes > 0, "batch_max_bytes: must be positive")
        try require(retentionMilliseconds >= 0, "retention_ms: \(retentionMilliseconds) is negative")
        try require(fileMode & ~0o777 == 0, "file_mode: \(String(fileMode, radix: 8)) is not a permission mode")
        var configuration = LogConfiguration()
        configuration.readOnly = readOnly
        configuration.segmentBytes = Int(segmentBytes)
        configuration.batchMaxBytes = Int(batchMaxBytes)
        try require(
            linger >= .zero && linger <= Self.longestLinger, "linger: \(linger) is outside 0...\(Self.longestLinger)")
        configuration.lingerNanoseconds = UInt64(linger.wholeNanoseconds)
        configuration.compression = compression == .lz4 ? .lz4 : .none
        switch syncMode {
        case .none: configuration.syncMode = .none
        case .batch: configuration.syncMode = .batch
        case .interval(let interval):
            try require(
                interval >= .milliseconds(1) && interval <= Self.longestSyncInterval,
                "sync interval: \(interval) is outside 1 ms...\(Self.longestSyncInterval)")
            configuration.syncMode = .interval(UInt64(interval.wholeNanoseconds))
        }
        configuration.retentionBytes = retentionBytes
        configuration.retentionMilliseconds = retentionMilliseconds
        configuration.retainUncommitted = retainUncommitted
        configuration.fileMode = mode_t(fileMode)
        return configuration
    }
}

/// Throws `invalidArgument` with `message` unless `condition` holds: the
/// checks of the settings the Swift API takes.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(EventLogError) {
    guard condition else { throw EventLogError(.invalidArgument, message()) }
}

#if canImport(Glibc)
    import Glibc
#endif
