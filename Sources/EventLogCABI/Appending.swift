// SPDX-License-Identifier: Apache-2.0
// C API: append, append_batch, flush, sync.
import CEventLogHeader
internal import EventLog
internal import EventLogFormat
internal import EventLogStorage

@c(eventlog_append)
public func eventlogAppend(
    _ log: OpaquePointer?, _ record: UnsafePointer<eventlog_record>?, _ offsetOut: UnsafeMutablePointer<UInt64>?
) -> CInt {
    guard let record else { return invalid("rec: NULL") }
    return eventlogAppendBatch(log, record, 1, offsetOut)
}

@c(eventlog_append_batch)
public func eventlogAppendBatch(
    _ log: OpaquePointer?, _ records: UnsafePointer<eventlog_record>?, _ count: size_t,
    _ firstOffsetOut: UnsafeMutablePointer<UInt64>?
) -> CInt {
    guard let log else { return invalid("log: NULL") }
    let handle = Handle.log(log)
    guard count > 0 else {
        firstOffsetOut?.pointee = handle.endOffset
        return EVENTLOG_OK
    }
    guard let records else { return invalid("recs: NULL with count \(count)") }
    var headerCount = 0
    for i in 0..<count {
        if let problem = problem(records[i], index: count == 1 ? nil : i) { return fail(problem) }
        headerCount += records[i].header_count
    }
    /// Appends the records as the storage layer takes them, record `i`
    /// with the headers `headers(i)`.
    func append(headers: (Int) -> UnsafeBufferPointer<HeaderBytes>) -> CInt {
        guarded { () throws(EventLogError) in
            let first = try handle.appendRaw(count: count) { i in
                let record = records[i]
                return RawRecord(
                    timestamp: record.timestamp,
                    key: record.key.map { UnsafeRawBufferPointer(start: $0, count: record.key_len) },
                    value: record.value.map { UnsafeRawBufferPointer(start: $0, count: record.value_len) },
                    headers: headers(i))
            }
            firstOffsetOut?.pointee = first
        }
    }
    guard headerCount > 0 else { return append { _ in UnsafeBufferPointer(start: nil, count: 0) } }
    return withUnsafeTemporaryAllocation(of: HeaderBytes.self, capacity: headerCount) { headers in
        var next = 0
        var firstHeader = [Int](repeating: 0, count: count)
        for i in 0..<count {
            firstHeader[i] = next
            let record = records[i]
            for j in 0..<record.header_count {
                let header = record.headers![j]
                headers[next] = HeaderBytes(
                    key: UnsafeRawBufferPointer(start: header.key, count: header.key_len),
                    value: header.value.map { UnsafeRawBufferPointer(start: $0, count: header.value_len) })
                next += 1
            }
        }
        return append { i in
            UnsafeBufferPointer(rebasing: headers[firstHeader[i]..<firstHeader[i] + records[i].header_count])
        }
    }
}

/// What is wrong with one record (`recs[index]`, or `rec`), or nil. A
/// length or count larger than any record can have is `tooBig`, checked
/// before anything else and before any byte is read: a size_t above Int.max
/// would even be a negative Int here. NULL pointers and a negative
/// timestamp are invalid arguments.
@inline(__always)
private func problem(_ record: eventlog_record, index: Int?) -> EventLogError? {
    let limit = UInt(EventLogOptions.maxRecordBytes)
    let keyLength = UInt(bitPattern: record.key_len)
    let valueLength = UInt(bitPattern: record.value_len)
    if keyLength <= limit && valueLength <= limit && record.header_count == 0 && record.timestamp >= 0
        && (record.key != nil || keyLength == 0) && (record.value != nil || valueLength == 0)
    {
        return nil
    }
    let name = index.map { "recs[\($0)]" } ?? "rec"
    func tooBig(_ detail: String) -> EventLogError { EventLogError(.tooBig, name + detail) }
    func argument(_ detail: String) -> EventLogError { EventLogError(.invalidArgument, name + detail) }
    if keyLength > limit { return tooBig(".key_len: \(keyLength) bytes exceed the limit of \(limit)") }
    if valueLength > limit { return tooBig(".value_len: \(valueLength) bytes exceed the limit of \(limit)") }
    let headerCount = UInt(bitPattern: record.header_count)
    if headerCount > limit { return tooBig(".header_count: \(headerCount) headers exceed what a record can hold") }
    if let headers = record.headers {
        for j in 0..<record.header_count
        where UInt(bitPattern: headers[j].key_len) > limit || UInt(bitPattern: headers[j].value_len) > limit {
            return tooBig(".headers[\(j)]: a key or value length exceeds the limit of \(limit) bytes")
        }
    }
    if record.key == nil && record.key_len > 0 { return argument(".key: NULL with key_len \(record.key_len)") }
    if record.value == nil && record.value_len > 0 {
        return argument(".value: NULL with value_len \(record.value_len)")
    }
    if record.timestamp < 0 { return argument(".timestamp: \(record.timestamp) is negative") }
    guard record.header_count > 0 else { return nil }
    guard let headers = record.headers else {
        return argument(".headers: NULL with header_count \(record.header_count)")
    }
    for j in 0..<record.header_count {
        if headers[j].key == nil { return argument(".headers[\(j)].key: NULL (header keys are never null)") }
        if headers[j].value == nil && headers[j].value_len > 0 {
            return argument(".headers[\(j)].value: NULL with value_len \(headers[j].value_len)")
        }
    }
    return nil
}

@c(eventlog_flush)
public func eventlogFlush(_ log: OpaquePointer?) -> CInt {
    guard let log else { return invalid("log: NULL") }
    return guarded { () throws(EventLogError) in try Handle.log(log).flush() }
}

@c(eventlog_sync)
public func eventlogSync(_ log: OpaquePointer?) -> CInt {
    guard let log else { return invalid("log: NULL") }
    return guarded { () throws(EventLogError) in try Handle.log(log).sync() }
}
