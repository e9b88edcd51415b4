// SPDX-License-Identifier: Apache-2.0
// The C loop over plain records (CEventLogShims/plain_records.c), used where
// the CPU runs it fast and the C struct it writes is RecordView's layout.

import CEventLogShims

package enum PlainRecordsInC {
    /// Whether `decode` may run: decided once, on first use.
    package static let available: Bool = eventlog_plain_records_fast() != 0 && viewLayoutMatches

    /// RecordView's fields where eventlog_record_view has them, so the C
    /// loop's stores land in the right fields.
    package static var viewLayoutMatches: Bool {
        RecordView.isLaidOut(
            as: eventlog_record_view.self,
            [
                \.offset: \eventlog_record_view.offset, \.timestamp: \eventlog_record_view.timestamp,
                \.keyStart: \eventlog_record_view.key, \.keyCount: \eventlog_record_view.key_length,
                \.valueStart: \eventlog_record_view.value, \.valueCount: \eventlog_record_view.value_length,
                \.headerStart: \eventlog_record_view.header_start, \.headerCount: \eventlog_record_view.header_count,
            ])
    }

    /// Decodes plain records from `position` on into `output`, at most
    /// `room`, as RecordDecoder's own plain loop does; returns how many and
    /// moves `position` past them. Call only when `available`.
    @inline(__always)
    static func decode(
        _ base: UnsafeRawPointer, from position: inout Int, available: Int, _ stamps: RecordStamps,
        headerStart: Int, into output: UnsafeMutablePointer<RecordView>, room: Int
    ) -> Int {
        var cStamps = eventlog_record_stamps(
            base_offset: stamps.baseOffset, timestamp_base: stamps.timestampBase, delta_mask: stamps.deltaMask,
            last_offset_delta: stamps.lastOffsetDelta)
        var at = position
        let count = output.withMemoryRebound(to: eventlog_record_view.self, capacity: room) { views in
            eventlog_decode_plain_records(
                base.assumingMemoryBound(to: UInt8.self), &at, available, &cStamps, views, room, headerStart)
        }
        position = at
        return count
    }
}
