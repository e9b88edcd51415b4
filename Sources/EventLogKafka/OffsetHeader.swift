// SPDX-License-Identifier: Apache-2.0
// The headers that tie a record in Kafka to a record in a log: the value is
// an offset as 8 bytes big-endian, Kafka's own encoding of an int64.

public enum OffsetHeader {
    /// On records shipped to Kafka: the record's offset in the source log.
    public static let shipped = "eventlog.offset"
    /// On records imported from Kafka: the record's offset in its partition.
    public static let imported = "kafka.offset"

    public static func encode(_ offset: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: offset >> (56 - 8 * UInt64($0))) }
    }

    /// nil unless `bytes` is exactly 8 bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
