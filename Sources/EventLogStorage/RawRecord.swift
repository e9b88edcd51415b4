// SPDX-License-Identifier: Apache-2.0
// A record to append, as borrowed bytes: what both the Swift API and the C
// API hand the writer, which copies them into the producer batch.
package import EventLogFormat

package struct RawRecord {
    /// Milliseconds since the epoch; 0 means "now" unless
    /// `timestampIsExact`.
    package var timestamp: Int64
    package var timestampIsExact = false
    package var key: UnsafeRawBufferPointer?
    package var value: UnsafeRawBufferPointer?
    package var headers: UnsafeBufferPointer<HeaderBytes>

    package init(
        timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: UnsafeBufferPointer<HeaderBytes>, timestampIsExact: Bool = false
    ) {
        self.timestamp = timestamp
        self.timestampIsExact = timestampIsExact
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// Whether the writer stamps the record with the time of its append.
    var takesAppendTime: Bool { timestamp == 0 && !timestampIsExact }

    /// Key, value and header bytes: what the record-size limit counts.
    var payloadBytes: Int {
        var total = (key?.count ?? 0) + (value?.count ?? 0)
        for header in headers { total += header.key.count + (header.value?.count ?? 0) }
        return total
    }
}
