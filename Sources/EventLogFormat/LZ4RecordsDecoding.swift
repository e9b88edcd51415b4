// SPDX-License-Identifier: Apache-2.0
// Decompressing and decoding an LZ4 records section in one pass: the records
// of each block are decoded right after liblz4 wrote the block, while its
// bytes are still in the first-level cache. Decoding the whole section after
// decompressing it read every byte back from the second-level cache, and
// record parsing is a chain of dependent loads (each length says where the
// next field is), so it waited on each of them.
//
// Blocks need not end at record boundaries (Kafka's do not): a record cut by
// a block's end is decoded after the next block. The section is checked as
// `decode(recordsSection:...)` checks it, with the same errors.

extension RecordDecoder {
    /// Decompresses the Kafka LZ4 frame `frame` with `lz4`, appending the
    /// records section to `buffer` (at most `limit` bytes), and decodes its
    /// records as `decode(recordsSection:header:into:headers:)` does, with
    /// where each block starts in `blockStarts`. Returns the section, which
    /// the views point into. On error `records` and `headers` are left as
    /// they were; `buffer` may hold part of the section.
    package static func decode(
        lz4Frame frame: UnsafeRawBufferPointer, using lz4: KafkaLZ4, buffer: ByteBuffer, limit: Int,
        header: RecordBatchHeader, into records: inout [RecordView], headers: inout [HeaderView],
        blockStarts: inout [LZ4BlockStart]
    ) throws(FormatError) -> UnsafeRawBufferPointer {
        let recordsBefore = records.count
        let headersBefore = headers.count
        let declared = Int(header.recordsCount)
        let sectionStart = buffer.count
        var position = 0
        var found = 0
        // The buffer grows as blocks arrive and may move: views decoded
        // before a move are shifted to the new storage.
        var decodedBase: UnsafeRawPointer?
        func followBuffer() -> UnsafeRawPointer {
            let base = UnsafeRawPointer(buffer.baseAddress + sectionStart)
            if let old = decodedBase, old != base {
                rebase(&records[recordsBefore...], &headers[headersBefore...], by: old.distance(to: base))
            }
            decodedBase = base
            return base
        }
        do {
            let count = try lz4.decompress(frame, into: buffer, limit: limit, blockStarts: &blockStarts) {
                produced throws(FormatError) in
                try decodeAvailable(
                    followBuffer(), available: produced, header, declared: declared, position: &position,
                    found: &found, &records, &headers)
            }
            let section = UnsafeRawBufferPointer(start: followBuffer(), count: count)
            try decodeAll(section, header, &records, &headers, from: position, found: found)
            return section
        } catch {
            records.removeSubrange(recordsBefore...)
            headers.removeSubrange(headersBefore...)
            throw error
        }
    }

    private static func rebase(
        _ records: inout ArraySlice<RecordView>, _ headers: inout ArraySlice<HeaderView>, by distance: Int
    ) {
        for index in records.indices {
            records[index].keyStart = records[index].keyStart.map { $0 + distance }
            records[index].valueStart = records[index].valueStart.map { $0 + distance }
        }
        for index in headers.indices {
            headers[index].keyStart = headers[index].keyStart.map { $0 + distance }
            headers[index].valueStart = headers[index].valueStart.map { $0 + distance }
        }
    }
}
