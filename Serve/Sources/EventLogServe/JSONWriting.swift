// SPDX-License-Identifier: Apache-2.0
// JSON text written straight into a ByteBuffer: strings escaped, and record
// bytes as text when they are valid UTF-8, else as base64 under a name that
// says so ("value_b64"), the shape `eventlog dump` prints.
import NIOCore

extension ByteBuffer {
    mutating func writeJSONString(_ text: String) {
        var text = text
        text.withUTF8 { writeJSONString(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Writes `bytes` (valid UTF-8) as a JSON string.
    mutating func writeJSONString(bytes: UnsafeRawBufferPointer) {
        writeInteger(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<bytes.count {
            let byte = bytes[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < i { writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])) }
            runStart = i + 1
            switch byte {
            case UInt8(ascii: "\""): writeStaticString("\\\"")
            case UInt8(ascii: "\\"): writeStaticString("\\\\")
            case 0x0A: writeStaticString("\\n")
            case 0x0D: writeStaticString("\\r")
            case 0x09: writeStaticString("\\t")
            default:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                writeBytes([
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)],
                    hex[Int(byte & 15)],
                ])
            }
        }
        if runStart < bytes.count { writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<bytes.count])) }
        writeInteger(UInt8(ascii: "\""))
    }

    /// `"name":"text"` or `"name_b64":"base64"`, or `"name":null`.
    mutating func writeJSONBytesMember(_ name: StaticString, _ bytes: [UInt8]?) {
        guard let bytes else { return writeJSONBytesMember(name, nil as UnsafeRawBufferPointer?) }
        bytes.withUnsafeBytes { writeJSONBytesMember(name, $0) }
    }

    mutating func writeJSONHeaderValue(_ bytes: [UInt8]?) {
        guard let bytes else { return writeJSONHeaderValue(nil as UnsafeRawBufferPointer?) }
        bytes.withUnsafeBytes { writeJSONHeaderValue($0) }
    }

    mutating func writeJSONBytesMember(_ name: StaticString, _ bytes: UnsafeRawBufferPointer?) {
        writeInteger(UInt8(ascii: "\""))
        writeStaticString(name)
        guard let bytes else {
            writeStaticString("\":null")
            return
        }
        if isValidUTF8(bytes) {
            writeStaticString("\":")
            writeJSONString(bytes: bytes)
        } else {
            writeStaticString("_b64\":")
            writeBase64String(bytes)
        }
    }

    /// A header value: a string, null, or {"b64":"..."}.
    mutating func writeJSONHeaderValue(_ bytes: UnsafeRawBufferPointer?) {
        guard let bytes else {
            writeStaticString("null")
            return
        }
        if isValidUTF8(bytes) {
            writeJSONString(bytes: bytes)
        } else {
            writeStaticString("{\"b64\":")
            writeBase64String(bytes)
            writeInteger(UInt8(ascii: "}"))
        }
    }

    mutating func writeBase64String(_ bytes: UnsafeRawBufferPointer) {
        let alphabet = Base64Alphabet.bytes
        writeInteger(UInt8(ascii: "\""))
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var group = UInt32(bytes[i]) << 16
            if n > 1 { group |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { group |= UInt32(bytes[i + 2]) }
            writeInteger(alphabet[Int(group >> 18 & 63)])
            writeInteger(alphabet[Int(group >> 12 & 63)])
            writeInteger(n > 1 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            writeInteger(n > 2 ? alphabet[Int(group & 63)] : UInt8(ascii: "="))
            i += 3
        }
        writeInteger(UInt8(ascii: "\""))
    }

    mutating func writeDecimal<T: BinaryInteger>(_ value: T) {
        writeString(String(value))
    }
}

enum Base64Alphabet {
    static let bytes: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}

/// ASCII is checked byte by byte; anything else by the standard library.
func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    if !bytes.contains(where: { $0 >= 0x80 }) { return true }
    return String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) != nil
}
