// SPDX-License-Identifier: Apache-2.0
// The stages of a compaction's piece (CompactionPass): `decode` checks each
// batch's CRC and offsets and decodes its records, `decide` marks the latest record of
// each key (in log order from the newest piece back, one piece at a time),
// `clean` turns the marks into steps (copy these bytes, drop this batch,
// add these rebuilt bytes) and lets the decoded records go. Decoding and
// cleaning depend only on the piece, so any thread may run them; deciding
// depends on every newer piece.
internal import EventLogFormat
import Glibc

/// Runs the stages of pieces: Kafka's shouldRetainRecord and filterTo,
/// batch by batch. One per thread.
final class PieceCleaner {
    private let now: Int64
    private let deleteRetention: Int64
    private let decoder = BatchDecoder()
    private let builder = CompactedBatchBuilder()
    @exclusivity(unchecked) private var scanned: [ScannedBatch] = []
    @exclusivity(unchecked) private var kept: [RecordView] = []
    private let spares: PieceSpares

    init(now: Int64, deleteRetention: Int64, spares: PieceSpares) {
        self.now = now
        self.deleteRetention = deleteRetention
        self.spares = spares
    }

    /// Checks and decodes the batches of `piece`.
    func decode(_ piece: RewritePiece) {
        let segment = piece.segment
        guard segment.region != nil else {
            piece.error = segment.failure
            return
        }
        let bytes = segment.bytes
        scanned.removeAll(keepingCapacity: true)
        let scan = BatchScanner.scan(bytes, from: piece.range.lowerBound, limit: piece.range.upperBound) {
            scanned.append($0)
        }
        var offsets = FollowedOffsets(segmentBase: segment.base)
        for batch in scanned {
            if let error = offsets.check(batch.header, at: batch.position, in: bytes, limit: segment.size) {
                piece.error = EventLogError.corrupt(file: segment.path, at: 0, error)
                return
            }
            piece.recordCount += Int(batch.header.recordsCount)
            guard !batch.header.isControl else {
                // Kafka does not filter control batches (transaction markers) by key.
                piece.batches.append(RewritePiece.Batch(position: batch.position, header: batch.header))
                continue
            }
            let payload = batch.position + RecordBatchHeader.size..<batch.position + batch.header.totalSize
            let buffer = batch.header.compression == .lz4 ? spares.buffer() : nil
            if let buffer { piece.buffers.append(buffer) }
            do throws(FormatError) {
                var decoded: RewritePiece.Decoded?
                if try decoder.decode(
                    batch.header, payload: UnsafeRawBufferPointer(rebasing: bytes[payload]), into: buffer)
                {
                    // The decoder's arrays go with the batch; spare ones take their place.
                    var taken = spares.decoded()
                    swap(&taken.records, &decoder.records)
                    swap(&taken.headers, &decoder.headers)
                    KeyProbe.fill(&taken.probes, of: taken.records)
                    taken.latest.removeAll(keepingCapacity: true)
                    taken.latest.append(contentsOf: repeatElement(true, count: taken.records.count))
                    decoded = taken
                }
                piece.batches.append(
                    RewritePiece.Batch(position: batch.position, header: batch.header, decoded: decoded))
            } catch {
                piece.error = EventLogError.corrupt(file: segment.path, at: payload.lowerBound, error)
                return
            }
        }
        // The active segment ends where its writer was; it may be torn there.
        guard !piece.claimsOnly else { return }
        if let damage = scan.damage {
            piece.error = EventLogError.corrupt(file: segment.path, at: 0, damage)
        } else if scan.validEnd < piece.range.upperBound {
            let torn = FormatError(
                kind: .truncated, position: scan.validEnd,
                detail: "a closed segment ends in \(segment.size - scan.validEnd) bytes that are not a whole batch")
            piece.error = EventLogError.corrupt(file: segment.path, at: 0, torn)
        }
    }

    /// Marks the latest record of each key in `piece`, which comes just
    /// before every piece decided so far.
    static func decide(_ piece: RewritePiece, keys: KeySet) {
        for i in piece.batches.indices.reversed() where piece.batches[i].decoded != nil {
            let (records, probes) = (piece.batches[i].decoded!.records, piece.batches[i].decoded!.probes)
            records.withUnsafeBufferPointer { records in
                probes.withUnsafeBufferPointer { probes in
                    piece.batches[i].decoded!.latest.withUnsafeMutableBufferPointer {
                        keys.markLatest(records, probes: probes, into: $0)
                    }
                }
            }
        }
        piece.overflowed = keys.overflowed
    }

    /// Turns the marks into steps, rebuilding into a spare buffer, and
    /// gives the decoded records' buffers back.
    func clean(_ piece: RewritePiece) {
        defer { spares.giveBack(decodedOf: piece) }
        guard !piece.claimsOnly else { return }
        let rebuilt = spares.buffer()
        piece.rebuilt = rebuilt
        do throws(EventLogError) {
            for batch in piece.batches {
                let step = try step(for: batch, of: piece, into: rebuilt)
                switch step {
                case .copy(_, let header): piece.outputBytes += header.totalSize
                case .drop: break
                case .rebuilt(let range): piece.outputBytes += range.count
                }
                piece.steps.append(step)
            }
        } catch {
            piece.error = error
        }
    }

    /// What becomes of one batch: its kept records go to `kept`, and a
    /// batch rebuilt from them to `rebuilt`.
    private func step(
        for batch: RewritePiece.Batch, of piece: RewritePiece, into rebuilt: ByteBuffer
    ) throws(EventLogError) -> RewritePiece.Step {
        let header = batch.header
        guard let decoded = batch.decoded else { return .copy(position: batch.position, header: header) }
        kept.removeAll(keepingCapacity: true)
        let horizonPassed = header.hasDeleteHorizon && now >= header.baseTimestamp
        var holdsTombstones = false
        for (record, latest) in zip(decoded.records, decoded.latest) {
            if record.keyStart != nil {
                // A later record with the same key makes this one obsolete.
                if !latest { continue }
                if record.valueStart == nil {
                    if horizonPassed {
                        piece.tombstonesRemoved += 1
                        continue
                    }
                    holdsTombstones = true
                }
            }
            kept.append(record)
        }
        // The first pass that keeps a tombstone starts its delete horizon.
        let startsHorizon = holdsTombstones && !header.hasDeleteHorizon
        if kept.count == decoded.records.count && !startsHorizon {
            return .copy(position: batch.position, header: header)
        }
        if kept.isEmpty { return .drop(header) }
        var horizon = header.hasDeleteHorizon ? header.baseTimestamp : nil
        if startsHorizon {
            let (end, overflow) = now.addingReportingOverflow(deleteRetention)
            horizon = overflow ? Int64.max : end
        }
        let start = rebuilt.count
        do throws(FormatError) {
            _ = try builder.build(
                original: header, kept: kept, headers: decoded.headers, deleteHorizon: horizon, into: rebuilt)
        } catch {
            throw EventLogError.corrupt(file: piece.segment.path, at: batch.position, error)
        }
        return .rebuilt(start..<rebuilt.count)
    }
}

/// The buffers and arrays pieces are decoded and rebuilt into, handed back
/// and forth between the threads of a pass: a thread that decodes takes
/// what a thread that cleaned gave back, so that large blocks are reused,
/// not unmapped and faulted in again.
final class PieceSpares: @unchecked Sendable {
    private let lock = Lock()
    // Guarded by `lock`.
    private var buffers: [ByteBuffer] = []
    private var arrays: [RewritePiece.Decoded] = []

    func buffer() -> ByteBuffer {
        lock.withLock { buffers.popLast() } ?? ByteBuffer(capacity: 64 << 10)
    }

    func decoded() -> RewritePiece.Decoded {
        lock.withLock { arrays.popLast() } ?? RewritePiece.Decoded(records: [], headers: [], probes: [], latest: [])
    }

    /// Takes back the decoded batches of `piece`, whose stages are done with them.
    func giveBack(decodedOf piece: RewritePiece) {
        var emptied: [RewritePiece.Decoded] = []
        for batch in piece.batches {
            guard var decoded = batch.decoded else { continue }
            decoded.records.removeAll(keepingCapacity: true)
            decoded.headers.removeAll(keepingCapacity: true)
            emptied.append(decoded)
        }
        for buffer in piece.buffers { buffer.removeAll() }
        lock.withLock {
            buffers.append(contentsOf: piece.buffers)
            arrays.append(contentsOf: emptied)
        }
        piece.buffers = []
        piece.batches = []
    }

    /// Takes back the rebuilt bytes of `piece`, once they are written.
    func giveBack(rebuiltOf piece: RewritePiece) {
        guard let buffer = piece.rebuilt else { return }
        piece.rebuilt = nil
        buffer.removeAll()
        lock.withLock { buffers.append(buffer) }
    }
}
