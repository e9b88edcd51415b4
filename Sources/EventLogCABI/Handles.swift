// SPDX-License-Identifier: Apache-2.0
// The objects behind the C API's opaque pointers, and the mapping of Swift
// errors to result codes plus the thread-local message.
import CEventLogHeader
internal import EventLog
internal import EventLogFormat

/// What an `eventlog_cursor *` points to: the Swift cursor, the log it reads
/// (kept alive until the cursor is closed), and the header structs lent to
/// the caller by the last read.
final class CursorHandle {
    let cursor: Cursor
    let log: EventLog
    let headers = LentStructs<eventlog_header>(capacity: 16)

    init(cursor: Cursor, log: EventLog) {
        self.cursor = cursor
        self.log = log
    }
}

/// Structs lent to a C caller, in storage reused from call to call and
/// grown, at least twofold, when a call needs more.
final class LentStructs<Element> {
    /// Where the last call's structs are.
    private(set) var base: UnsafeMutablePointer<Element>
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Room for `count` structs; what the last call lent is gone.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity {
            base.deallocate()
            capacity = max(count, capacity * 2)
            base = .allocate(capacity: capacity)
        }
        return base
    }
}

enum Handle {
    static func log(_ pointer: OpaquePointer) -> EventLog {
        Unmanaged<EventLog>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    static func cursor(_ pointer: OpaquePointer) -> CursorHandle {
        Unmanaged<CursorHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

/// The constructors' shape: checks `out` and sets it to NULL, then stores
/// there the object `make` returns (after checks of its own), retained for
/// the caller until the matching close releases it.
func newHandle(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ make: () throws(EventLogError) -> AnyObject) -> CInt {
    guard let out else { return invalid("out: NULL") }
    out.pointee = nil
    return guarded { () throws(EventLogError) in
        out.pointee = OpaquePointer(Unmanaged.passRetained(try make()).toOpaque())
    }
}

/// `pointer`, or EVENTLOG_EINVAL naming the argument `name` if it is NULL.
func nonNull<Pointer>(_ pointer: Pointer?, _ name: String) throws(EventLogError) -> Pointer {
    guard let pointer else { throw EventLogError(.invalidArgument, "\(name): NULL") }
    return pointer
}

/// Records `error` as the calling thread's message and returns its code.
func fail(_ error: EventLogError) -> CInt {
    var text = error.message
    text.withUTF8 { utf8 in
        utf8.withMemoryRebound(to: CChar.self) { eventlog_internal_set_errmsg($0.baseAddress, $0.count) }
    }
    return error.code.rawValue
}

/// Fails with EVENTLOG_EINVAL and a message naming the bad argument.
func invalid(_ message: String) -> CInt {
    fail(EventLogError(.invalidArgument, message))
}

/// The error for a versioned struct (`what`, e.g. "opts->version") whose
/// version this library does not know.
func unknownVersion(_ what: String, _ version: UInt32, known: Int32) -> EventLogError {
    EventLogError(.version, "\(what): \(version) is not a version this library knows (\(known))")
}

/// Throws EVENTLOG_EINVAL naming the bits of `flags` outside `known`.
func checkFlags(_ what: String, _ flags: UInt32, known: UInt32) throws(EventLogError) {
    guard flags & ~known == 0 else {
        throw EventLogError(.invalidArgument, "\(what): unknown flags 0x\(String(flags & ~known, radix: 16))")
    }
}

/// An output struct that starts with `version`, set by the caller to the
/// version it was compiled with.
protocol VersionedOutput {
    init()
    var version: UInt32 { get set }
    /// The struct's size in each version, oldest first: a caller compiled
    /// with an older header has a shorter struct, and the library writes
    /// only that much of it. The last is the header's version.
    static var sizeByVersion: [Int] { get }
}

extension VersionedOutput {
    static var sizeByVersion: [Int] { [MemoryLayout<Self>.size] }
}

extension eventlog_compact_stats: VersionedOutput {
    /// Version 1 ended after bytes_after.
    static var sizeByVersion: [Int] {
        [MemoryLayout<Self>.offset(of: \.segments_before)!, MemoryLayout<Self>.size]
    }
}

extension eventlog_verify_report: VersionedOutput {}
extension eventlog_retention_stats: VersionedOutput {}
extension eventlog_recover_report: VersionedOutput {}
extension eventlog_log_info: VersionedOutput {}

/// Zeroes the counts of the caller's output struct `out` (NULL: nothing to
/// do), which `name` names in messages; the error, with `out` left as it
/// was, if its version is not one this library knows. Touches only the
/// bytes of the caller's version.
func prepareOutput<Output: VersionedOutput>(_ out: UnsafeMutablePointer<Output>?, named name: String)
    -> EventLogError?
{
    guard let out else { return nil }
    let version = UnsafeMutableRawPointer(out).load(as: UInt32.self)
    guard version >= 1 && version <= Output.sizeByVersion.count else {
        return unknownVersion("\(name)->version", version, known: Int32(Output.sizeByVersion.count))
    }
    UnsafeMutableRawPointer(out).initializeMemory(as: UInt8.self, repeating: 0, count: size(of: out))
    UnsafeMutableRawPointer(out).storeBytes(of: version, as: UInt32.self)
    return nil
}

/// Writes `value` into the caller's output struct `out`, prepared by
/// prepareOutput: as many bytes as the caller's version has, its version
/// kept.
func deliver<Output: VersionedOutput>(_ value: Output, to out: UnsafeMutablePointer<Output>?) {
    guard let out else { return }
    let version = UnsafeMutableRawPointer(out).load(as: UInt32.self)
    withUnsafeBytes(of: value) { bytes in
        UnsafeMutableRawPointer(out).copyMemory(from: bytes.baseAddress!, byteCount: size(of: out))
    }
    UnsafeMutableRawPointer(out).storeBytes(of: version, as: UInt32.self)
}

/// The size of the caller's struct `out`, by the version it holds.
private func size<Output: VersionedOutput>(of out: UnsafeMutablePointer<Output>) -> Int {
    Output.sizeByVersion[Int(UnsafeMutableRawPointer(out).load(as: UInt32.self)) - 1]
}

/// The calls on a log directory that fill an output struct: zeroes the
/// caller's `out` (`name` in messages) as prepareOutput does, checks `dir`,
/// then runs `body` with the directory's path, mapping the error it throws.
func onDirectory<Output: VersionedOutput>(
    _ dir: UnsafePointer<CChar>?, output out: UnsafeMutablePointer<Output>?, named name: String,
    _ body: (String) throws(EventLogError) -> Void
) -> CInt {
    if let error = prepareOutput(out, named: name) { return fail(error) }
    guard let dir else { return invalid("dir: NULL") }
    let path = String(cString: dir)
    return guarded { () throws(EventLogError) in try body(path) }
}

/// The walks that lend one struct per item to a C callback: checks `dir`
/// and the callback, reads every item first (so a failure comes before any
/// visit), then calls `lend` for each until one returns non-zero, which is
/// the result.
func walk<Item, Visit>(
    _ dir: UnsafePointer<CChar>?, _ visit: Visit?, _ load: (String) throws(EventLogError) -> [Item],
    lend: (Item, Visit) -> CInt
) -> CInt {
    guard let dir else { return invalid("dir: NULL") }
    guard let visit else { return invalid("visit: NULL") }
    let items: [Item]
    do {
        items = try load(String(cString: dir))
    } catch {
        return fail(error)
    }
    for item in items {
        let stop = lend(item, visit)
        if stop != 0 { return stop }
    }
    return EVENTLOG_OK
}

/// Runs `body`, mapping a thrown error to its code.
@inline(__always)
func guarded(_ body: () throws(EventLogError) -> Void) -> CInt {
    do {
        try body()
        return EVENTLOG_OK
    } catch {
        return fail(error)
    }
}

extension UnsafeRawBufferPointer {
    /// The start address for C: never NULL for a present (possibly empty) buffer.
    var cAddress: UnsafeRawPointer { baseAddress ?? FieldAddress.empty }
}
