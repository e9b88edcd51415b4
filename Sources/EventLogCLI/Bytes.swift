// SPDX-License-Identifier: Apache-2.0
// How the CLI shows and reads keys, values and header values: as text when
// the bytes are printable UTF-8, as base64 otherwise, and as a hex dump.

/// The bytes as a String if they are valid UTF-8 without control characters
/// other than tab, newline and carriage return; nil otherwise.
func printableText<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String? {
    guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
    for scalar in text.unicodeScalars {
        let v = scalar.value
        if (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || (0x7F...0x9F).contains(v) { return nil }
    }
    return text
}

enum Base64 {
    /// The 64 digits, in the order of their values.
    static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// Decodes standard base64; the trailing `=` padding may be left out.
    static func decode(_ text: String) -> [UInt8]? {
        let digits = UnsafeBufferPointer(start: alphabet.utf8Start, count: alphabet.utf8CodeUnitCount)
        var values: [UInt32] = []
        var padding = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, let index = digits.firstIndex(of: byte) else { return nil }
            values.append(UInt32(index))
        }
        guard values.count % 4 != 1, padding <= 2, padding == 0 || (values.count + padding) % 4 == 0 else { return nil }
        var out: [UInt8] = []
        for start in stride(from: 0, to: values.count, by: 4) {
            // Four digits make three bytes; a short last group, one fewer than it has digits.
            let chunk = values[start..<min(start + 4, values.count)]
            let group = chunk.enumerated().reduce(0) { $0 | $1.element << (18 - 6 * UInt32($1.offset)) }
            out += [UInt8(group >> 16 & 0xFF), UInt8(group >> 8 & 0xFF), UInt8(group & 0xFF)].prefix(chunk.count - 1)
        }
        return out
    }
}

/// `hexdump -C` lines: offset, sixteen bytes in hex, and their printable ASCII.
func hexDumpLines(_ bytes: UnsafeRawBufferPointer, indent: String) -> [String] {
    stride(from: 0, to: bytes.count, by: 16).map { start in
        let row = bytes[start..<min(start + 16, bytes.count)]
        var hex = ""
        for i in 0..<16 {
            if i == 8 { hex += " " }
            hex += i < row.count ? zeroPadded(row[start + i], 2, radix: 16) + " " : "   "
        }
        let ascii = row.map { (0x20..<0x7F).contains($0) ? $0 : UInt8(ascii: ".") }
        return indent + zeroPadded(start, 8, radix: 16) + "  " + hex + " |" + String(decoding: ascii, as: UTF8.self)
            + "|"
    }
}

/// `value`'s digits in `radix`, after zeros up to `width` digits.
func zeroPadded<T: BinaryInteger>(_ value: T, _ width: Int, radix: Int = 10) -> String {
    let digits = String(value, radix: radix)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
