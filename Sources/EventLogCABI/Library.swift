// SPDX-License-Identifier: Apache-2.0
// C API: library-level functions (version, error texts, options) and
// opening and closing a log. Each export checks its arguments, unboxes the
// handle, calls the Swift API and maps the error; no logic of its own.
import CEventLogHeader
internal import EventLog

@c(eventlog_version)
public func eventlogVersion() -> UnsafePointer<CChar> {
    text(EventLog.versionText)
}

@c(eventlog_strerror)
public func eventlogStrerror(_ code: CInt) -> UnsafePointer<CChar> {
    switch code {
    case EVENTLOG_OK: text("success")
    case EVENTLOG_END: text("no record available within the timeout")
    case EVENTLOG_EINVAL: text("invalid argument")
    case EVENTLOG_EIO: text("input/output error")
    case EVENTLOG_ECORRUPT: text("log data is corrupt")
    case EVENTLOG_EBUSY: text("the log is open for writing by another handle")
    case EVENTLOG_ERANGE: text("offset before the start of the log")
    case EVENTLOG_ETIMEDOUT: text("timed out")
    case EVENTLOG_EREADONLY: text("the log is open read-only")
    case EVENTLOG_ETOOBIG: text("record too large")
    case EVENTLOG_ENOSPC: text("no space left on device")
    case EVENTLOG_EVERSION: text("unknown options version")
    case EVENTLOG_ENOMEM: text("out of memory")
    case EVENTLOG_ECLOSED: text("the log was closed")
    case EVENTLOG_ENOENT: text("no such log or cursor")
    case EVENTLOG_EACCES: text("permission denied")
    default: text("unknown result code")
    }
}

/// A static, NUL-terminated C string (Swift string literals are stored with
/// a terminating NUL).
private func text(_ literal: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c(eventlog_options_init)
public func eventlogOptionsInit(_ options: UnsafeMutablePointer<eventlog_options>?) {
    guard let options else { return }
    options.pointee = eventlog_options()
    options.pointee.version = UInt32(EVENTLOG_OPTIONS_VERSION)
}

@c(eventlog_open)
public func eventlogOpen(
    _ dir: UnsafePointer<CChar>?, _ options: UnsafePointer<eventlog_options>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> CInt {
    newHandle(out) { () throws(EventLogError) in
        try EventLog(path: String(cString: nonNull(dir, "dir")), options: EventLogOptions(options))
    }
}

@c(eventlog_close)
public func eventlogClose(_ log: OpaquePointer?) -> CInt {
    guard let log else { return EVENTLOG_OK }
    let handle = Unmanaged<EventLog>.fromOpaque(UnsafeRawPointer(log)).takeRetainedValue()
    return guarded { () throws(EventLogError) in try handle.close() }
}

@c(eventlog_start_offset)
public func eventlogStartOffset(_ log: OpaquePointer?) -> UInt64 {
    guard let log else { return 0 }
    return Handle.log(log).startOffset
}

@c(eventlog_end_offset)
public func eventlogEndOffset(_ log: OpaquePointer?) -> UInt64 {
    guard let log else { return 0 }
    return Handle.log(log).endOffset
}

extension EventLogOptions {
    /// The caller's eventlog_options (NULL: the defaults).
    init(_ pointer: UnsafePointer<eventlog_options>?) throws(EventLogError) {
        self.init()
        guard let pointer else { return }
        let c = pointer.pointee
        guard c.version == UInt32(EVENTLOG_OPTIONS_VERSION) else {
            throw unknownVersion("opts->version", c.version, known: EVENTLOG_OPTIONS_VERSION)
        }
        try checkFlags("opts->flags", c.flags, known: UInt32(EVENTLOG_OPEN_READONLY))
        readOnly = c.flags & UInt32(EVENTLOG_OPEN_READONLY) != 0
        if c.segment_bytes != 0 { segmentBytes = c.segment_bytes }
        if c.batch_max_bytes != 0 { batchMaxBytes = c.batch_max_bytes }
        if c.linger_us != 0 { linger = .microseconds(c.linger_us) }
        switch c.compression {
        case EVENTLOG_COMPRESSION_DEFAULT, EVENTLOG_COMPRESSION_LZ4: compression = .lz4
        case EVENTLOG_COMPRESSION_NONE: compression = .none
        default: throw EventLogError(.invalidArgument, "opts->compression: unknown value \(c.compression)")
        }
        switch c.sync_mode {
        case EVENTLOG_SYNC_DEFAULT, EVENTLOG_SYNC_NONE: syncMode = .none
        case EVENTLOG_SYNC_BATCH: syncMode = .batch
        case EVENTLOG_SYNC_INTERVAL:
            let interval =
                c.sync_interval_ms != 0
                ? Duration.milliseconds(c.sync_interval_ms) : EventLogOptions.defaultSyncInterval
            syncMode = .interval(interval)
        default: throw EventLogError(.invalidArgument, "opts->sync_mode: unknown value \(c.sync_mode)")
        }
        retentionBytes = c.retention_bytes
        retentionMilliseconds = c.retention_ms
        try checkFlags("opts->retention_flags", c.retention_flags, known: UInt32(EVENTLOG_RETAIN_UNCOMMITTED))
        retainUncommitted = c.retention_flags & UInt32(EVENTLOG_RETAIN_UNCOMMITTED) != 0
        if c.file_mode != 0 { fileMode = c.file_mode }
    }
}
