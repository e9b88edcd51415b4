// SPDX-License-Identifier: Apache-2.0
// The byte types a record's key and value can be appended from, each lent to
// the writer in place: the writer copies the bytes once, into the batch it
// builds, and nothing copies them before that.

/// Bytes that can be appended as a record's key or value without a copy.
///
/// `String`, `Substring`, `[UInt8]`, `ArraySlice<UInt8>`,
/// `ContiguousArray<UInt8>`, `UnsafeRawBufferPointer` and
/// `UnsafeBufferPointer<UInt8>` conform. Any other collection of bytes with
/// contiguous storage conforms in one line, `extension MyBytes: RecordBytes {}`
/// (the default implementation lends its contiguous storage and copies only a
/// collection that has none). Foundation's `Data` is such a collection: see
/// the `EventLogFoundation` module.
public protocol RecordBytes {
    /// Calls `body` with the bytes, valid only during the call.
    func withUnsafeRecordBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
}

extension RecordBytes where Self: Collection, Self.Element == UInt8 {
    public func withUnsafeRecordBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let lent = withContiguousStorageIfAvailable { buffer in
            Result { () throws(E) in try body(UnsafeRawBufferPointer(buffer)) }
        }
        if let lent { return try lent.get() }
        return try ContiguousArray(self).withUnsafeBytes { bytes in
            Result { () throws(E) in try body(bytes) }
        }.get()
    }
}

extension Array: RecordBytes where Element == UInt8 {}
extension ArraySlice: RecordBytes where Element == UInt8 {}
extension ContiguousArray: RecordBytes where Element == UInt8 {}
extension UnsafeBufferPointer: RecordBytes where Element == UInt8 {}
extension UnsafeMutableBufferPointer: RecordBytes where Element == UInt8 {}
extension UnsafeRawBufferPointer: RecordBytes {}
extension UnsafeMutableRawBufferPointer: RecordBytes {}
extension String.UTF8View: RecordBytes {}
extension Substring.UTF8View: RecordBytes {}

extension String: RecordBytes {
    /// The UTF-8 bytes. A native Swift string already stores them
    /// contiguously; a bridged or lazily decoded one is made contiguous once.
    public func withUnsafeRecordBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try utf8.withUnsafeRecordBytes(body)
    }
}

extension Substring: RecordBytes {
    public func withUnsafeRecordBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try utf8.withUnsafeRecordBytes(body)
    }
}
