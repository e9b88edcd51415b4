// SPDX-License-Identifier: Apache-2.0
// Records as Swift values: owned copies of what a cursor read, or what to
// append.

/// A record header: the key is a string (Kafka clients read header keys as
/// UTF-8), the value raw bytes or nil.
public struct Header: Equatable, Sendable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// A record read from the log, or one to append: an offset, a timestamp,
/// an optional key, an optional value (nil: a tombstone) and headers.
public struct Record: Equatable, Sendable {
    /// Assigned by the log; ignored on append.
    public var offset: UInt64
    /// Milliseconds since the Unix epoch; 0 on append means "now" unless
    /// `timestampIsExact` is set.
    public var timestamp: Int64
    /// On append: store `timestamp` as it is, 0 included (copying records
    /// from a dump keeps a record stamped at the epoch at the epoch). Never
    /// set on records read.
    public var timestampIsExact = false
    /// nil: a record without key.
    public var key: [UInt8]?
    /// nil: a tombstone (deletes the key when the log is compacted).
    public var value: [UInt8]?
    public var headers: [Header]

    public init(offset: UInt64 = 0, timestamp: Int64 = 0, key: [UInt8]?, value: [UInt8]?, headers: [Header] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}
