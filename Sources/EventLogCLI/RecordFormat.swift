// SPDX-License-Identifier: Apache-2.0
// Records as the CLI prints and reads them. A JSON line is
//   {"offset":5,"timestamp":1764410400000,"key":"user-1","value":"hi","headers":{"trace":"abc"}}
// where key and value are strings when printable UTF-8, null when absent
// (a null value is a tombstone), and otherwise appear as "key_b64" /
// "value_b64" holding base64; a header value is a string, null, or
// {"b64":"..."}. `append --json` reads the same shape (offset ignored), so
// `dump | append --json` copies a log. JSONLine (RecordWriter.swift) writes
// them; this file reads them, and writes the --hex form.
internal import EventLog
internal import EventLogFormat

enum RecordFormat {
    /// The `--hex` form: a line about the record, then a hex dump of each
    /// header value, the key and the value.
    static func hex(_ record: RecordView, _ headers: UnsafeBufferPointer<HeaderView>) -> String {
        let headers = headerViews(record, headers)
        var lines = [
            "offset \(record.offset)  timestamp \(record.timestamp) (\(TimeText.iso8601(record.timestamp)))"
                + "  headers \(headers.count)"
        ]
        func field(_ title: String, _ bytes: UnsafeRawBufferPointer?) {
            lines.append("  \(title): " + (bytes.map { "\($0.count) bytes" } ?? "null"))
            lines += bytes.map { hexDumpLines($0, indent: "    ") } ?? []
        }
        for header in headers {
            field("header \(JSON.string(String(decoding: header.key, as: UTF8.self)).text)", header.value)
        }
        field("key", record.key)
        field("value", record.value)
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Reading

    /// A record from one `append --json` line; `defaultKey` is used when the
    /// object has no key member.
    static func record(fromJSONLine line: [UInt8], defaultKey: [UInt8]?) throws(ParseError) -> Record {
        guard case .object(let members) = try JSON.parse(line) else {
            throw ParseError(message: "expected a JSON object")
        }
        var record = Record(key: defaultKey, value: nil)
        var seen: Set<String> = []
        for (name, value) in members {
            // One spelling per field: with both "value" and "value_b64", or
            // a member given twice, which one was meant is a guess.
            let field = name.hasSuffix("_b64") ? String(name.dropLast(4)) : name
            guard seen.insert(field).inserted else {
                throw ParseError(message: "\"\(field)\" given more than once (as \"\(field)\" or \"\(field)_b64\")")
            }
            switch name {
            case "key": record.key = try bytes(value, name)
            case "value": record.value = try bytes(value, name)
            case "key_b64": record.key = try base64(value, name)
            case "value_b64": record.value = try base64(value, name)
            case "timestamp":
                // Given, it is kept as it is: 0 is the epoch, not "now".
                record.timestamp = try timestamp(value)
                record.timestampIsExact = true
            case "headers": record.headers = try headers(value)
            case "offset": continue
            default: throw ParseError(message: "unknown member \"\(name)\" (expected key, value, headers, timestamp)")
            }
        }
        return record
    }

    private static func bytes(_ value: JSON, _ name: String) throws(ParseError) -> [UInt8]? {
        switch value {
        case .null: return nil
        case .string(let text): return Array(text.utf8)
        default: throw ParseError(message: "\"\(name)\" must be a string or null")
        }
    }

    private static func base64(_ value: JSON, _ name: String) throws(ParseError) -> [UInt8]? {
        guard case .string(let text) = value else { throw ParseError(message: "\"\(name)\" must be a base64 string") }
        guard let bytes = Base64.decode(text) else { throw ParseError(message: "\"\(name)\" is not valid base64") }
        return bytes
    }

    private static func timestamp(_ value: JSON) throws(ParseError) -> Int64 {
        switch value {
        case .number(let text):
            if let ms = Int64(text) { return ms }
        case .string(let text):
            if let ms = TimeText.parse(text) { return ms }
        default: break
        }
        throw ParseError(message: "\"timestamp\" must be milliseconds since the epoch or an ISO-8601 string")
    }

    private static func headers(_ value: JSON) throws(ParseError) -> [Header] {
        guard case .object(let members) = value else {
            throw ParseError(message: "\"headers\" must be an object of header names to values")
        }
        return try members.map { (name, value) throws(ParseError) in
            switch value {
            case .null: Header(key: name, value: nil)
            case .string(let text): Header(key: name, value: Array(text.utf8))
            case .object where value["b64"] != nil:
                Header(key: name, value: try base64(value["b64"]!, "headers.\(name).b64"))
            default: throw ParseError(message: "header \"\(name)\" must be a string, null or {\"b64\": ...}")
            }
        }
    }
}
