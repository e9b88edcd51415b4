// SPDX-License-Identifier: Apache-2.0
// The C structs lent for a decoded record and its headers, shared by the
// cursor calls and the scan: pointers into the mapping or decode buffer,
// never NULL for a present (possibly empty) key, value or header key.
import CEventLogHeader
internal import EventLogFormat

extension eventlog_header {
    init(_ header: HeaderView) {
        self.init(
            key: header.key.cAddress.assumingMemoryBound(to: CChar.self), key_len: header.key.count,
            value: header.value?.cAddress, value_len: header.value?.count ?? 0)
    }
}

extension eventlog_record {
    /// `headers` holds the structs of the headers `record.headerStart` indexes.
    @inline(__always)
    init(_ record: RecordView, headers: UnsafeMutablePointer<eventlog_header>) {
        // Field for field: the view stores what the struct holds (a present
        // key or value always has an address), so this is a plain copy.
        self.init(
            offset: UInt64(bitPattern: record.offset), timestamp: record.timestamp,
            key: record.keyStart, key_len: record.keyCount, value: record.valueStart, value_len: record.valueCount,
            headers: record.headerCount > 0 ? UnsafePointer(headers + record.headerStart) : nil,
            header_count: record.headerCount)
    }
}

/// Fills `out` with the structs of `records`, and `headerOut` (room for
/// `headers.count`) with those of the headers their `headerStart` indexes.
func fillRecordStructs(
    _ out: UnsafeMutablePointer<eventlog_record>, _ records: UnsafeBufferPointer<RecordView>,
    headers: UnsafeBufferPointer<HeaderView>, headerOut: UnsafeMutablePointer<eventlog_header>
) {
    for i in 0..<headers.count { headerOut[i] = eventlog_header(headers[i]) }
    for i in 0..<records.count { out[i] = eventlog_record(records[i], headers: headerOut) }
}

/// The views of a batch none of whose records has headers, read as the
/// structs they are laid out like, for as long as `body` runs: no copy. A
/// view holds what the struct holds field for field, but the index of its
/// first header where the struct has a pointer; with no header in the
/// batch every index is 0, which reads as NULL, as the struct wants.
/// Nil (and `body` not called) if the layouts ever part.
@inline(__always)
func withRecordStructsInPlace<Result>(
    _ records: UnsafeBufferPointer<RecordView>, _ body: (UnsafePointer<eventlog_record>) -> Result
) -> Result? {
    guard viewsAreRecordStructs, let base = records.baseAddress else { return nil }
    return base.withMemoryRebound(to: eventlog_record.self, capacity: records.count, body)
}

/// Whether RecordView and eventlog_record have the same size, alignment and
/// field offsets (RecordView is declared to match; this keeps it honest).
let viewsAreRecordStructs = RecordView.isLaidOut(
    as: eventlog_record.self,
    [
        \.offset: \eventlog_record.offset, \.timestamp: \eventlog_record.timestamp, \.keyStart: \eventlog_record.key,
        \.keyCount: \eventlog_record.key_len, \.valueStart: \eventlog_record.value,
        \.valueCount: \eventlog_record.value_len, \.headerStart: \eventlog_record.headers,
        \.headerCount: \eventlog_record.header_count,
    ])
