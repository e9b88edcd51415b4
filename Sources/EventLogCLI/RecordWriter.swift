// SPDX-License-Identifier: Apache-2.0
// Records written straight into an Output's bytes, in the shapes `dump` and
// `tail` print: JSON lines (see RecordFormat), values only, a --format
// template, or a hex dump. The records are the views a cursor's batch read
// lends (Cursor.withNextRecords), so printing a record copies its bytes once,
// into the output buffer: no String and no Array per record. This is what
// lets `dump` keep up with the library's replay.
internal import EventLogFormat

/// How `dump` and `tail` print each record.
enum RecordStyle {
    case json
    case hex
    case template(RecordTemplate)

    func write(_ record: RecordView, _ headers: UnsafeBufferPointer<HeaderView>, to out: Output) {
        switch self {
        case .json: JSONLine.write(record, headers, to: out)
        case .hex: out.write(RecordFormat.hex(record, headers))
        case .template(let template): template.write(record, headers, to: out)
        }
    }
}

/// The headers of `record` among all those of its batch.
func headerViews(_ record: RecordView, _ headers: UnsafeBufferPointer<HeaderView>) -> UnsafeBufferPointer<HeaderView> {
    UnsafeBufferPointer(rebasing: headers[record.headerStart..<record.headerStart + record.headerCount])
}

/// The JSON line of RecordFormat, written byte by byte.
enum JSONLine {
    static func write(_ record: RecordView, _ headers: UnsafeBufferPointer<HeaderView>, to out: Output) {
        out.write("{\"offset\":" as StaticString)
        out.decimal(record.offset)
        out.write(",\"timestamp\":" as StaticString)
        out.decimal(record.timestamp)
        out.write(",\"key" as StaticString)
        member(record.key, to: out)
        out.write(",\"value" as StaticString)
        member(record.value, to: out)
        out.write(",\"headers\":{" as StaticString)
        for (i, header) in headerViews(record, headers).enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            if TextKind(header.key) == .binary {
                // Header keys are strings to the library: shown as decoded.
                out.write(JSON.string(String(decoding: header.key, as: UTF8.self)).text)
            } else {
                out.jsonString(header.key)
            }
            out.byte(UInt8(ascii: ":"))
            guard let value = header.value else {
                out.write("null" as StaticString)
                continue
            }
            switch TextKind(value) {
            case .plain, .text: out.jsonString(value)
            case .binary:
                out.write("{\"b64\":\"" as StaticString)
                out.base64(value)
                out.write("\"}" as StaticString)
            }
        }
        out.write("}}\n" as StaticString)
    }

    /// The rest of a key or value member after its name's first letters:
    /// `":"text"`, `":null`, or `_b64":"..."` for bytes that are not text.
    private static func member(_ bytes: UnsafeRawBufferPointer?, to out: Output) {
        guard let bytes else { return out.write("\":null" as StaticString) }
        switch TextKind(bytes) {
        case .plain, .text:
            out.write("\":" as StaticString)
            out.jsonString(bytes)
        case .binary:
            out.write("_b64\":\"" as StaticString)
            out.base64(bytes)
            out.byte(UInt8(ascii: "\""))
        }
    }
}

/// How bytes appear in JSON: as they are, as escaped text, or as base64.
/// Text is what `printableText` accepts: UTF-8 without control characters
/// other than tab, newline and carriage return.
enum TextKind {
    /// Printable ASCII without `"` or `\`: copied as they are.
    case plain
    /// Printable, but with characters to escape or beyond ASCII.
    case text
    case binary

    init(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        var plain = true
        var i = 0
        // Eight bytes at a time while they hold no control character, DEL
        // or byte beyond ASCII; `"` and `\` only make the text need escapes.
        while i + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            guard Word.controlOrBeyondASCII(word) == 0 else { break }
            if Word.quoteOrBackslash(word) != 0 { plain = false }
            i += 8
        }
        while i < count {
            switch bytes[i] {
            case 0x22, 0x5C, 0x09, 0x0A, 0x0D: plain = false
            case 0x20..<0x7F: break
            case 0x80...:
                self = printableText(bytes) != nil ? .text : .binary
                return
            default:
                self = .binary
                return
            }
            i += 1
        }
        self = plain ? .plain : .text
    }
}

/// Tests on eight bytes at once (SWAR). Each returns a word with the top bit
/// of some byte set when a byte of `word` is of its kind, 0 when none is.
private enum Word {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    @inline(__always)
    static func zeroByte(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }

    @inline(__always)
    static func below0x20(_ word: UInt64) -> UInt64 { (word &- ones &* 0x20) & ~word & highs }

    @inline(__always)
    static func controlOrBeyondASCII(_ word: UInt64) -> UInt64 {
        (word & highs) | below0x20(word) | zeroByte(word ^ (ones &* 0x7F))
    }

    @inline(__always)
    static func quoteOrBackslash(_ word: UInt64) -> UInt64 {
        zeroByte(word ^ (ones &* 0x22)) | zeroByte(word ^ (ones &* 0x5C))
    }
}

private let digitPairs: StaticString = """
    00010203040506070809101112131415161718192021222324252627282930313233343536373839\
    40414243444546474849505152535455565758596061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899
    """

extension Output {
    func write(_ text: StaticString) {
        write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    func decimal(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        decimal(value.magnitude)
    }

    func decimal(_ value: UInt64) {
        var digits = 1
        var power: UInt64 = 10
        while digits < 20 && value >= power {
            digits += 1
            power &*= 10
        }
        let at = reserve(digits).assumingMemoryBound(to: UInt8.self)
        let pairs = digitPairs.utf8Start
        var rest = value
        var i = digits
        // Two digits per division: timestamps have thirteen.
        while i >= 2 {
            let pair = Int(rest % 100) * 2
            rest /= 100
            at[i - 2] = pairs[pair]
            at[i - 1] = pairs[pair + 1]
            i -= 2
        }
        if i == 1 { at[0] = UInt8(truncatingIfNeeded: 48 + rest) }
        commit(digits)
    }

    /// `bytes`, which TextKind found to be text, as a quoted JSON string.
    func jsonString(_ bytes: UnsafeRawBufferPointer) {
        // Each byte takes at most two (`\n`); text holds no other controls.
        let at = reserve(bytes.count * 2 + 2).assumingMemoryBound(to: UInt8.self)
        var n = 0
        at[n] = UInt8(ascii: "\"")
        n += 1
        var i = 0
        while i < bytes.count {
            // Eight bytes at a time: the word is stored whole, and the bytes
            // before its first one to escape count. The lowest byte a SWAR
            // test flags is always a true hit, and it is the first in memory
            // on the little-endian machines Swift runs on. The reservation
            // covers the whole store: n <= 2i + 1 and i + 8 <= count.
            if i + 8 <= bytes.count {
                let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                UnsafeMutableRawPointer(at + n).storeBytes(of: word, as: UInt64.self)
                let special = Word.quoteOrBackslash(word) | Word.below0x20(word)
                let plain = special == 0 ? 8 : special.trailingZeroBitCount >> 3
                n += plain
                i += plain
                if plain == 8 { continue }
            }
            let byte = bytes[i]
            i += 1
            let escaped: UInt8
            switch byte {
            case 0x22: escaped = 0x22
            case 0x5C: escaped = 0x5C
            case 0x0A: escaped = UInt8(ascii: "n")
            case 0x0D: escaped = UInt8(ascii: "r")
            case 0x09: escaped = UInt8(ascii: "t")
            default:
                at[n] = byte
                n += 1
                continue
            }
            at[n] = 0x5C
            at[n + 1] = escaped
            n += 2
        }
        at[n] = UInt8(ascii: "\"")
        commit(n + 1)
    }

    /// Standard base64, padded.
    func base64(_ bytes: UnsafeRawBufferPointer) {
        let alphabet = Base64.alphabet.utf8Start
        let length = (bytes.count + 2) / 3 * 4
        let at = reserve(length).assumingMemoryBound(to: UInt8.self)
        var i = 0
        var n = 0
        while i + 3 <= bytes.count {
            let group = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            at[n] = alphabet[Int(group >> 18 & 63)]
            at[n + 1] = alphabet[Int(group >> 12 & 63)]
            at[n + 2] = alphabet[Int(group >> 6 & 63)]
            at[n + 3] = alphabet[Int(group & 63)]
            i += 3
            n += 4
        }
        let left = bytes.count - i
        if left > 0 {
            let group = UInt32(bytes[i]) << 16 | (left == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            at[n] = alphabet[Int(group >> 18 & 63)]
            at[n + 1] = alphabet[Int(group >> 12 & 63)]
            at[n + 2] = left == 2 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "=")
            at[n + 3] = UInt8(ascii: "=")
        }
        commit(length)
    }
}
