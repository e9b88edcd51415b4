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
    init(_ record: RecordView, headers: UnsafeMutablePointer<eventlog_header>) {
        self.init(
            offset: UInt64(record.offset), timestamp: record.timestamp,
            key: record.key?.cAddress, key_len: record.key?.count ?? 0,
            value: record.value?.cAddress, value_len: record.value?.count ?? 0,
            headers: record.headerCount > 0 ? UnsafePointer(headers + record.headerStart) : nil,
            header_count: record.headerCount)
    }
}
