// SPDX-License-Identifier: Apache-2.0
// The borrowed views the record decoder produces. Fields are stored as a
// start address and a length, in the order and widths of the C API's
// eventlog_record and eventlog_header: filling those structs for a batch is
// then a plain copy of each field, and a record takes 64 bytes instead of
// the 80 that optional buffer pointers took (a null buffer needs a tag byte
// of its own, padded to 8), which the decoder writes and every reader reads.

/// A decoded record. `key`, `value` and the header views point into the
/// records section passed to the decoder, which the caller keeps alive.
package struct RecordView {
    package var offset: Int64
    package var timestamp: Int64
    /// Where the key starts; nil for a null key and never nil for a present
    /// one, even an empty one, so that the two stay apart.
    package var keyStart: UnsafeRawPointer?
    package var keyCount: Int
    /// As `keyStart`, for the value (nil: a tombstone).
    package var valueStart: UnsafeRawPointer?
    package var valueCount: Int
    /// Index of the record's first header in the `headers` array given to the decoder.
    package var headerStart: Int
    package var headerCount: Int

    /// The key's bytes; nil for a null key.
    package var key: UnsafeRawBufferPointer? { keyStart.map { UnsafeRawBufferPointer(start: $0, count: keyCount) } }

    /// The value's bytes; nil for a tombstone.
    package var value: UnsafeRawBufferPointer? {
        valueStart.map { UnsafeRawBufferPointer(start: $0, count: valueCount) }
    }
}

extension RecordView {
    /// A view of `key` and `value`; the memberwise initialiser (the
    /// decoder's) takes the fields as they were read.
    package init(
        offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headerStart: Int, headerCount: Int
    ) {
        let (keyStart, keyCount) = FieldAddress.split(key)
        let (valueStart, valueCount) = FieldAddress.split(value)
        self.init(
            offset: offset, timestamp: timestamp, keyStart: keyStart, keyCount: keyCount, valueStart: valueStart,
            valueCount: valueCount, headerStart: headerStart, headerCount: headerCount)
    }
}

extension RecordView {
    /// Whether `Struct`, a C struct RecordView is declared to match, has its
    /// size, stride and alignment, and each of its fields at the offset of
    /// the field `fields` pairs with it: memory of one may then be rebound
    /// to the other. Every field must be paired.
    package static func isLaidOut<Struct>(
        as _: Struct.Type, _ fields: [PartialKeyPath<RecordView>: PartialKeyPath<Struct>]
    ) -> Bool {
        typealias View = MemoryLayout<RecordView>
        typealias Other = MemoryLayout<Struct>
        let all: [PartialKeyPath<RecordView>] = [
            \.offset, \.timestamp, \.keyStart, \.keyCount, \.valueStart, \.valueCount, \.headerStart, \.headerCount,
        ]
        guard View.size == Other.size, View.stride == Other.stride, View.alignment == Other.alignment else {
            return false
        }
        return all.allSatisfy { field in
            guard let other = fields[field], let offset = View.offset(of: field) else { return false }
            return Other.offset(of: other) == offset
        }
    }
}

package struct HeaderView {
    /// Nil only for an empty key given without an address.
    package var keyStart: UnsafeRawPointer?
    package var keyCount: Int
    /// Nil for a null value.
    package var valueStart: UnsafeRawPointer?
    package var valueCount: Int

    package var key: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: keyStart, count: keyCount) }

    /// The value's bytes; nil for a null value.
    package var value: UnsafeRawBufferPointer? {
        valueStart.map { UnsafeRawBufferPointer(start: $0, count: valueCount) }
    }
}

extension HeaderView {
    package init(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?) {
        let (valueStart, valueCount) = FieldAddress.split(value)
        self.init(keyStart: key.baseAddress, keyCount: key.count, valueStart: valueStart, valueCount: valueCount)
    }
}

/// A field's start and length as the views store them.
package enum FieldAddress {
    /// The address given to a present but empty field that came without
    /// one, so that it does not read as null; the C API and the Kafka
    /// producer lend it for the same reason. Never written: shared safely.
    nonisolated(unsafe) package static let empty = UnsafeRawPointer(
        UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))

    @inline(__always)
    static func split(_ bytes: UnsafeRawBufferPointer?) -> (UnsafeRawPointer?, Int) {
        guard let bytes else { return (nil, 0) }
        return (bytes.baseAddress ?? empty, bytes.count)
    }
}
