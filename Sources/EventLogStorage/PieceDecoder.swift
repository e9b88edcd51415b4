// SPDX-License-Identifier: Apache-2.0
// Decoding the batches of one scan piece, in offset order, for one worker:
// each batch is checked (structure, CRC, offsets rising within the piece
// and inside the segment) and decoded with the worker's own BatchDecoder,
// and its records in the piece's offset range are lent to the caller.
// Damage is an error naming the file and byte, as a cursor reports it.
package import EventLogFormat

package final class PieceDecoder {
    private let decoder = BatchDecoder()
    private var kept: [RecordView] = []
    /// Batches and bytes (as stored, and decoded) this decoder went through.
    package private(set) var batches = 0
    package private(set) var storedBytes = 0
    package private(set) var decodedBytes = 0

    package init() {}

    /// Calls `visit` with the records of each batch of `piece` that fall in
    /// its offset range, and the headers their `headerStart` indexes; both
    /// are valid only during the call. `shouldStop` is asked before each
    /// batch. Returns false if `visit` or `shouldStop` stopped the piece.
    package func decode(
        _ piece: ScanPiece, shouldStop: () -> Bool,
        visit: (UnsafeBufferPointer<RecordView>, [HeaderView]) throws -> Bool
    ) throws -> Bool {
        let reader = piece.reader
        let bytes = reader.bytes(limit: piece.segmentLimit)
        var position = piece.start
        var offsets = FollowedOffsets(segmentBase: reader.base)
        while position < piece.end {
            if shouldStop() { return false }
            let header = try check(bytes, at: position, piece: piece, offsets: &offsets)
            defer { position += header.totalSize }
            if header.lastOffset < piece.offsets.lowerBound || header.isControl { continue }
            if header.baseOffset >= piece.offsets.upperBound { return true }
            let payload = UnsafeRawBufferPointer(
                rebasing: bytes[(position + RecordBatchHeader.size)..<(position + header.totalSize)])
            do throws(FormatError) {
                guard try decoder.decode(header, payload: payload) else { throw .unsupportedCodec(of: header) }
            } catch {
                throw EventLogError.corrupt(file: reader.logPath, at: position + RecordBatchHeader.size, error)
            }
            batches += 1
            storedBytes += header.totalSize
            decodedBytes += decoder.section.count
            let records = decoder.records
            let whole =
                records.isEmpty
                || (records.first!.offset >= piece.offsets.lowerBound
                    && records.last!.offset < piece.offsets.upperBound)
            if !whole {
                kept.removeAll(keepingCapacity: true)
                for record in records where piece.offsets.contains(record.offset) { kept.append(record) }
            }
            guard try (whole ? records : kept).withUnsafeBufferPointer({ try visit($0, decoder.headers) }) else {
                return false
            }
        }
        return true
    }

    /// The header of the batch at `position`, checked: whole inside the
    /// piece, CRC, and offsets after the batch before and inside the
    /// segment's range of relative offsets.
    private func check(
        _ bytes: UnsafeRawBufferPointer, at position: Int, piece: ScanPiece, offsets: inout FollowedOffsets
    ) throws -> RecordBatchHeader {
        let window = UnsafeRawBufferPointer(rebasing: bytes[position..<piece.end])
        let header: RecordBatchHeader
        do throws(FormatError) {
            let peeked = try RecordBatchHeader(parsing: window)
            guard peeked.totalSize <= window.count else {
                throw FormatError(
                    kind: .truncated, position: 8,
                    detail:
                        "batch of \(peeked.totalSize) bytes runs past the end of the data (\(window.count) bytes left)"
                )
            }
            header = try RecordBatch.validate(UnsafeRawBufferPointer(rebasing: window.prefix(peeked.totalSize)))
        } catch {
            throw EventLogError.corrupt(file: piece.reader.logPath, at: position, error)
        }
        if let error = offsets.check(header, at: position, in: bytes, limit: piece.segmentLimit) {
            throw EventLogError.corrupt(file: piece.reader.logPath, at: 0, error)
        }
        return header
    }
}
