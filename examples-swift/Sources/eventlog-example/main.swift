// SPDX-License-Identifier: Apache-2.0
// Appends three sign-up events to the log in the directory given, makes them
// visible with flush, reads them back with a cursor, and closes the log.
// Usage: eventlog-example DIR   (created if missing; appends if it exists)
import EventLog

#if canImport(Glibc)
    import Glibc
#endif

func text(_ bytes: [UInt8]?) -> String { bytes.map { String(decoding: $0, as: UTF8.self) } ?? "null" }

func run(directory: String) throws -> Int {
    let log = try EventLog(path: directory)
    var first: UInt64?
    for n in 1...3 {
        let offset = try log.append(
            key: "user-\(n)",
            value: #"{"event":"signed_up","user":"user-\#(n)"}"#,
            headers: [Header(key: "source", value: Array("examples-swift".utf8))])
        first = first ?? offset
    }
    try log.flush()

    var read = 0
    let cursor = try log.cursor(from: .offset(first!))
    while let record = try cursor.next() {
        print(
            "offset \(record.offset) at \(record.timestamp) ms: \(text(record.key)) = \(text(record.value))",
            "[\(record.headers.count) header(s)]")
        read += 1
    }
    try log.close()
    return read
}

guard CommandLine.arguments.count == 2 else {
    print("usage: eventlog-example DIR")
    exit(2)
}
do {
    let read = try run(directory: CommandLine.arguments[1])
    guard read == 3 else {
        print("eventlog-example: read \(read) records back, expected 3")
        exit(1)
    }
} catch {
    print("eventlog-example: \(error)")
    exit(1)
}
