// SPDX-License-Identifier: Apache-2.0
// The batches of a log directory one by one, as Kafka's kafka-dump-log shows
// them: offsets, record count, byte position and size in the segment file,
// compression, CRC and timestamps. Only batch headers are read, plus the
// bytes a CRC covers, so a batch whose CRC fails is listed (as invalid)
// rather than ending the walk. What `eventlog dump --batches` prints. Reads
// through a read-only handle of its own, so it works beside a writer.
internal import EventLogFormat
package import EventLogStorage

/// One record batch as stored.
public struct BatchSummary: Equatable, Sendable {
    /// The `.log` file holding the batch, e.g. `00000000000000000000.log`.
    public var fileName: String
    public var baseOffset: UInt64
    public var lastOffset: UInt64
    public var recordCount: Int
    /// Byte position of the batch in its file, and its size with the
    /// 12-byte offset and length prefix.
    public var position: UInt64
    public var size: UInt64
    /// "none", "gzip", "snappy", "lz4", "zstd", or "unknown".
    public var compression: String
    /// Whether the CRC-32C stored in the batch matches its bytes.
    public var isValid: Bool
    /// The batch's first and largest record timestamps (ms since the epoch).
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
}

extension EventLog {
    /// Calls `body` for every batch of the log in directory `path`, oldest
    /// first. A batch whose header cannot be read, or whose offsets do not
    /// follow the batch before it, throws `corrupt` naming its file and
    /// byte; the torn tail of a segment ends that segment quietly.
    public static func forEachBatch(at path: String, _ body: (BatchSummary) -> Void) throws(EventLogError) {
        _ = try forEachPublishedSegment(at: path) { (segment) throws(EventLogError) in
            try segment.forEachBatch(checkCRC: false) { batch in
                let header = batch.header
                let stored = UnsafeRawBufferPointer(
                    rebasing: segment.bytes[batch.position..<batch.position + header.totalSize])
                body(
                    BatchSummary(
                        fileName: segment.reader.fileName, baseOffset: UInt64(header.baseOffset),
                        lastOffset: UInt64(header.lastOffset), recordCount: Int(header.recordsCount),
                        position: UInt64(batch.position), size: UInt64(header.totalSize),
                        compression: header.compression.map { "\($0)" } ?? "unknown",
                        isValid: (try? RecordBatch.validate(stored)) != nil, baseTimestamp: header.baseTimestamp,
                        maxTimestamp: header.maxTimestamp))
            }
        }
    }
}
