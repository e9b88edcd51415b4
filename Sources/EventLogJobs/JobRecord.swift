// SPDX-License-Identifier: Apache-2.0
// A record as a map function sees it: borrowed views into the segment's
// mapping or the worker's decode buffer, valid only during the call. Copy
// what the job keeps (`keyBytes`, `valueBytes`, `keyString`).
internal import EventLogFormat

public struct JobRecord {
    private let view: RecordView
    private let headerViews: [HeaderView]

    init(_ view: RecordView, headers: [HeaderView]) {
        self.view = view
        self.headerViews = headers
    }

    public var offset: UInt64 { UInt64(view.offset) }
    /// Milliseconds since the epoch.
    public var timestamp: Int64 { view.timestamp }
    /// Nil for a record without a key.
    public var key: UnsafeRawBufferPointer? { view.key }
    /// Nil for a tombstone.
    public var value: UnsafeRawBufferPointer? { view.value }
    public var isTombstone: Bool { view.value == nil }

    public var keyBytes: [UInt8]? { view.key.map { Array($0) } }
    public var valueBytes: [UInt8]? { view.value.map { Array($0) } }
    /// The key decoded as UTF-8 (invalid sequences repaired), or nil.
    public var keyString: String? { view.key.map { String(decoding: $0, as: UTF8.self) } }

    /// Key, value and header bytes: what the record-size limit counts.
    public var payloadBytes: Int {
        var total = (view.key?.count ?? 0) + (view.value?.count ?? 0)
        for index in headerIndices { total += headerViews[index].key.count + (headerViews[index].value?.count ?? 0) }
        return total
    }

    public var headerCount: Int { view.headerCount }

    /// The value of the first header named `name` (nil: no such header;
    /// .some(nil): a null value).
    public func header(_ name: String) -> UnsafeRawBufferPointer?? {
        var name = name
        return name.withUTF8 { wanted in
            for index in headerIndices where headerViews[index].key.elementsEqual(UnsafeRawBufferPointer(wanted)) {
                return .some(headerViews[index].value)
            }
            return nil
        }
    }

    private var headerIndices: Range<Int> { view.headerStart..<(view.headerStart + view.headerCount) }
}
