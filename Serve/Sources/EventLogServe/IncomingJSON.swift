// SPDX-License-Identifier: Apache-2.0
// What clients send, parsed: records to append (one JSON object each, the
// shape `eventlog append --json` reads: key/value as text or key_b64 /
// value_b64, headers as strings, null or {"b64":...}, timestamp in ms) and
// the WebSocket requests {"ack": OFFSET} and {"append": record or [records]}.
// Every refusal names what is wrong, for the client's error message.
import EventLog
import Foundation

struct RequestError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

enum IncomingJSON {
    /// A JSON value from bytes, or a RequestError saying it is not JSON.
    static func parse(_ bytes: some Collection<UInt8>) throws(RequestError) -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw RequestError("invalid JSON")
        }
    }

    static func records(_ json: Any) throws(RequestError) -> [Record] {
        if let array = json as? [Any] {
            var records: [Record] = []
            records.reserveCapacity(array.count)
            for (i, element) in array.enumerated() {
                do { records.append(try record(element)) } catch { throw RequestError("record \(i): \(error.message)") }
            }
            return records
        }
        return [try record(json)]
    }

    static func record(_ json: Any) throws(RequestError) -> Record {
        guard let members = json as? [String: Any] else { throw RequestError("a record must be a JSON object") }
        var record = Record(key: nil, value: nil)
        var seen: Set<String> = []
        for (name, value) in members {
            let field = name.hasSuffix("_b64") ? String(name.dropLast(4)) : name
            guard seen.insert(field).inserted else { throw RequestError("\"\(field)\" given more than once") }
            switch name {
            case "key": record.key = try text(value, name)
            case "value": record.value = try text(value, name)
            case "key_b64": record.key = try base64(value, name)
            case "value_b64": record.value = try base64(value, name)
            case "timestamp":
                guard let ms = integer(value) else {
                    throw RequestError("\"timestamp\" must be milliseconds since the epoch")
                }
                record.timestamp = ms
                record.timestampIsExact = true
            case "headers": record.headers = try headers(value)
            case "offset": continue
            default: throw RequestError("unknown member \"\(name)\" (expected key, value, headers, timestamp)")
            }
        }
        return record
    }

    /// An integer offset or time; nil for anything else (booleans included).
    static func integer(_ value: Any) -> Int64? {
        // JSON true and false come as NSNumbers too, of type "c" (char).
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9.2e18 else { return nil }
        return number.int64Value
    }

    private static func text(_ value: Any, _ name: String) throws(RequestError) -> [UInt8]? {
        if value is NSNull { return nil }
        guard let string = value as? String else { throw RequestError("\"\(name)\" must be a string or null") }
        return Array(string.utf8)
    }

    private static func base64(_ value: Any, _ name: String) throws(RequestError) -> [UInt8] {
        guard let string = value as? String, let data = Data(base64Encoded: string) else {
            throw RequestError("\"\(name)\" must be a base64 string")
        }
        return Array(data)
    }

    private static func headers(_ value: Any) throws(RequestError) -> [Header] {
        guard let members = value as? [String: Any] else {
            throw RequestError("\"headers\" must be an object of header names to values")
        }
        var headers: [Header] = []
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            if value is NSNull {
                headers.append(Header(key: name, value: nil))
            } else if let string = value as? String {
                headers.append(Header(key: name, value: Array(string.utf8)))
            } else if let object = value as? [String: Any], object.count == 1, let b64 = object["b64"] {
                headers.append(Header(key: name, value: try base64(b64, "headers.\(name).b64")))
            } else {
                throw RequestError("header \"\(name)\" must be a string, null or {\"b64\": ...}")
            }
        }
        return headers
    }
}
