// SPDX-License-Identifier: Apache-2.0
// FormatError, the one error type of EventLogFormat: what was wrong with the
// bytes, a human-readable detail, and the byte position where it was found.
// Every parser in this module reports hostile or damaged input this way and
// never traps. `position` is relative to the buffer passed to the call that
// threw (the batch start for batch-level calls, the records section for the
// record decoder, the frame start for LZ4); for a field with a bad value it is
// the field's first byte, for input that ends too early it is the first byte
// of the item that is cut short (a varint, a key, a record, the header).

package struct FormatError: Error, Equatable, CustomStringConvertible {
    package enum Kind: Equatable, Sendable {
        /// The input ends inside an item.
        case truncated
        /// A length field is out of range (negative, too small, or larger than what holds it).
        case invalidLength
        /// A varint is longer than Kafka allows (5 bytes for int32, 10 for int64).
        case invalidVarint
        /// The stored CRC-32C does not match the bytes.
        case crcMismatch
        /// The batch magic is not 2.
        case unsupportedMagic
        /// The codec is not one this module reads or writes.
        case unsupportedCompression
        /// The LZ4 payload breaks Kafka's framing rules or its blocks are corrupt.
        case invalidLZ4Frame
        /// A record's fields do not match its declared length, or a field is illegal.
        case invalidRecord
        /// The records section holds fewer records than the header declares.
        case recordCountMismatch
        /// Bytes are left over after the declared content.
        case trailingBytes
        /// Decompressed data would exceed the caller's limit, or a batch would exceed Int32 lengths.
        case tooLarge
    }

    package var kind: Kind
    package var position: Int
    package var detail: String

    package init(kind: Kind, position: Int, detail: String) {
        self.kind = kind
        self.position = position
        self.detail = detail
    }

    package var description: String { "\(detail) at byte \(position)" }
}

/// `0x` followed by eight lowercase hex digits, for CRCs and magic numbers in error details.
func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
