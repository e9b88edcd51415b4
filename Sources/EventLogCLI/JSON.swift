// SPDX-License-Identifier: Apache-2.0
// A JSON value with a writer and a small parser: enough for the records the
// CLI prints and reads (`dump`, `tail`, `append --json`) and the reports of
// `info --json` and `cursors --json`. Numbers keep their text, so 64-bit
// offsets and timestamps pass through exactly; object members keep their
// order (and duplicates, which record headers may have).
enum JSON {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    static func integer<T: BinaryInteger>(_ value: T?) -> JSON { value.map { .number(String($0)) } ?? .null }

    /// The member `name` of an object (the last one, as most parsers do).
    subscript(name: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.0 == name })?.1
    }

    // MARK: Writing

    /// Compact JSON text, one line.
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number(let text): text
        case .string(let value): Self.quoted(value)
        case .array(let elements): "[" + elements.map(\.text).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.map { Self.quoted($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u" + zeroPadded(scalar.value, 4, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: Parsing

    /// Parses one JSON text (UTF-8), which must hold nothing else but
    /// whitespace.
    static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSON {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ParseError(message: "not valid UTF-8 at column 1")
        }
        var parser = Parser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.at == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var at = 0
        static let maxDepth = 64
        /// What the escapes of one letter after a backslash stand for.
        static let escapes = [UInt8: Unicode.Scalar](
            uniqueKeysWithValues: zip("\"\\/bfnrt".utf8, "\"\\/\u{08}\u{0C}\n\r\t".unicodeScalars))

        /// The problem at the 1-based column (byte) where the parser is.
        func error(_ message: String) -> ParseError { ParseError(message: "\(message) at column \(at + 1)") }

        mutating func skipWhitespace() {
            while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }

        mutating func expect(_ literal: String, _ value: JSON) throws(ParseError) -> JSON {
            guard bytes[at...].starts(with: literal.utf8) else { throw error("expected a JSON value") }
            at += literal.utf8.count
            return value
        }

        mutating func value(depth: Int) throws(ParseError) -> JSON {
            skipWhitespace()
            guard depth < Self.maxDepth else { throw error("nested too deeply") }
            guard at < bytes.count else { throw error("unexpected end of line") }
            switch bytes[at] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("expected a JSON value")
            }
        }

        mutating func object(depth: Int) throws(ParseError) -> JSON {
            var members: [(String, JSON)] = []
            if opensEmpty(UInt8(ascii: "}")) { return .object(members) }
            repeat {
                skipWhitespace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let name = try string()
                skipWhitespace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw error("expected ':'") }
                at += 1
                members.append((name, try value(depth: depth + 1)))
            } while try !closes(UInt8(ascii: "}"), "an object")
            return .object(members)
        }

        mutating func array(depth: Int) throws(ParseError) -> JSON {
            var elements: [JSON] = []
            if opensEmpty(UInt8(ascii: "]")) { return .array(elements) }
            repeat { elements.append(try value(depth: depth + 1)) } while try !closes(UInt8(ascii: "]"), "an array")
            return .array(elements)
        }

        /// Past the opening bracket: whether `close` follows at once (and
        /// then past it).
        mutating func opensEmpty(_ close: UInt8) -> Bool {
            at += 1
            skipWhitespace()
            guard at < bytes.count && bytes[at] == close else { return false }
            at += 1
            return true
        }

        /// After an element: true past the closing `close`, false past a comma.
        mutating func closes(_ close: UInt8, _ container: String) throws(ParseError) -> Bool {
            skipWhitespace()
            guard at < bytes.count else { throw error("unexpected end of line in \(container)") }
            let byte = bytes[at]
            guard byte == close || byte == UInt8(ascii: ",") else {
                throw error("expected ',' or '\(Unicode.Scalar(close))'")
            }
            at += 1
            return byte == close
        }

        mutating func number() throws(ParseError) -> JSON {
            let start = at
            func digits(_ parser: inout Parser) -> Int {
                let from = parser.at
                while parser.at < parser.bytes.count, (48...57).contains(parser.bytes[parser.at]) { parser.at += 1 }
                return parser.at - from
            }
            if bytes[at] == UInt8(ascii: "-") { at += 1 }
            let leading = at
            guard digits(&self) > 0 else { throw error("expected digits") }
            if bytes[leading] == UInt8(ascii: "0") && at - leading > 1 {
                at = leading
                throw error("leading zero in a number")
            }
            if at < bytes.count && bytes[at] == UInt8(ascii: ".") {
                at += 1
                guard digits(&self) > 0 else { throw error("expected digits after '.'") }
            }
            if at < bytes.count && (bytes[at] | 0x20) == UInt8(ascii: "e") {
                at += 1
                if at < bytes.count && (bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-")) { at += 1 }
                guard digits(&self) > 0 else { throw error("expected digits in the exponent") }
            }
            return .number(String(decoding: bytes[start..<at], as: UTF8.self))
        }

        mutating func string() throws(ParseError) -> String {
            at += 1
            var scalars = String.UnicodeScalarView()
            var runStart = at
            func flushRun(_ parser: Parser, _ end: Int) {
                scalars.append(contentsOf: String(decoding: parser.bytes[runStart..<end], as: UTF8.self).unicodeScalars)
            }
            while at < bytes.count {
                let byte = bytes[at]
                if byte == UInt8(ascii: "\"") {
                    flushRun(self, at)
                    at += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw error("control character in a string") }
                guard byte == UInt8(ascii: "\\") else {
                    at += 1
                    continue
                }
                flushRun(self, at)
                at += 1
                guard at < bytes.count else { break }
                let escape = bytes[at]
                at += 1
                if escape == UInt8(ascii: "u") {
                    scalars.append(try unicodeEscape())
                } else if let scalar = Self.escapes[escape] {
                    scalars.append(scalar)
                } else {
                    at -= 2
                    throw error("unknown escape in a string")
                }
                runStart = at
            }
            throw error("unterminated string")
        }

        /// After `\u`: four hex digits, and a second `\uXXXX` for a surrogate pair.
        mutating func unicodeEscape() throws(ParseError) -> Unicode.Scalar {
            let high = try hex4()
            if (0xD800..<0xDC00).contains(high) {
                guard bytes.count - at >= 6, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u")
                else { throw error("unpaired surrogate in a string") }
                at += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in a string") }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(high) else { throw error("unpaired surrogate in a string") }
            return scalar
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard bytes.count - at >= 4, bytes[at..<at + 4].allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                let value = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16)
            else { throw error("expected four hex digits after \\u") }
            at += 4
            return value
        }
    }
}

/// Why a line is not a JSON value, or not a record.
struct ParseError: Error {
    var message: String
}
