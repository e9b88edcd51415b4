// SPDX-License-Identifier: Apache-2.0
// Loading one batch for a LogCursor: the batch at the cursor's position is
// checked (structure, CRC, offsets between its neighbours) and decoded into
// a buffer of the cursor's (or, uncompressed, straight from the mapping);
// after a seek, only the LZ4 block holding the offset sought may be decoded
// (PointRead.swift). Damage is reported with the file, the byte position
// and where reading can go on.
internal import EventLogFormat

extension LogCursor {
    /// Validates and decodes the batch at `position`, then advances past it.
    /// A damaged batch is `corrupt`, naming the file and byte position and
    /// where reading can go on; the position stays, so reading again reports
    /// it again until the cursor seeks past it.
    @discardableResult
    func loadBatch(limit: Int, head: HeadState) throws(EventLogError) -> RecordBatchHeader {
        let reader = segment!
        let bytes = reader.bytes(limit: limit)
        let window = UnsafeRawBufferPointer(rebasing: bytes[position..<limit])
        if seekedIntoBatch, let header = try loadSoughtBlock(reader, window: window, limit: limit, head: head) {
            return header
        }
        if let header = try loadDecodedAhead(reader, limit: limit, head: head) { return header }
        let header =
            switch BatchProbe(bytes, at: position, limit: limit) {
            case .batch(let whole): whole
            case .tooShort(let remaining):
                throw corrupt(reader, "\(remaining) bytes are too few for a batch at byte \(position)", limit, head)
            case .runsPast(let total, let remaining, _):
                throw corrupt(
                    reader,
                    "batch of \(total) bytes runs past the end of the data (\(remaining) bytes left) at byte "
                        + "\(position)", limit, head)
            case .damaged(let error, _): throw corrupt(reader, "\(error.detail) at byte \(error.position)", limit, head)
            }
        // baseOffset is outside the CRC: a damaged one would give every
        // record a wrong offset, so it must fit between its neighbours.
        if let problem = try offsetProblem(header, limit: limit, head: head) {
            throw corrupt(reader, "\(problem) at byte \(position)", limit, head)
        }
        let payload = UnsafeRawBufferPointer(rebasing: window[RecordBatchHeader.size..<header.totalSize])
        if let buffer = batchBuffer { retiredBuffers.append(buffer) }
        batchBuffer = nil
        handOut.clearBatch()
        // Control batches (transaction markers in Kafka logs) carry no data
        // for consumers; Kafka's clients skip them too.
        if header.isControl { return finishBatch(header) }
        let learnsLayout = seekedIntoBatch && header.compression == .lz4
        seekedIntoBatch = false
        do throws(FormatError) {
            var buffer: ByteBuffer?
            if header.compression == .lz4 {
                buffer = freeBuffers.popLast() ?? ByteBuffer(capacity: 256 << 10)
                batchBuffer = buffer
            } else {
                retiredSegments.append(reader)
            }
            guard try decoder.decode(header, payload: payload, into: buffer) else {
                throw .unsupportedCodec(of: header)
            }
            // The decoder keeps the arrays handed out before, whose capacity
            // its next decode reuses.
            swap(&handOut.batchRecords, &decoder.records)
            swap(&handOut.batchHeaders, &decoder.headers)
            if learnsLayout,
                let layout = BatchLayout(
                    header: header, section: decoder.section, blockStarts: decoder.blockStarts,
                    records: handOut.batchRecords)
            {
                reader.remember(layout, at: position)
            }
        } catch {
            handOut.clearBatch()
            throw EventLogError(
                .corrupt,
                "\(reader.logPath): \(error.detail) at byte \(position + RecordBatchHeader.size + error.position)"
                    + "; the next batch starts at offset \(header.nextOffset)")
        }
        return finishBatch(header, loadedFrom: reader, limit: limit)
    }

    /// After a seek, decodes only the block of the batch at `position` that
    /// holds `nextOffset`, if this mapping's reader already checked the
    /// batch in full (SegmentReader.layout). The position stays on the
    /// batch until its last block is decoded: reading on past the block
    /// loads the batch in full, skipping the records already returned. Nil:
    /// load the batch in full now.
    private func loadSoughtBlock(
        _ reader: SegmentReader, window: UnsafeRawBufferPointer, limit: Int, head: HeadState
    ) throws(EventLogError) -> RecordBatchHeader? {
        guard let layout = reader.layout(at: position), let header = try? RecordBatchHeader(parsing: window),
            layout.matches(header), header.totalSize <= window.count,
            try offsetProblem(header, limit: limit, head: head) == nil
        else { return nil }
        if let buffer = batchBuffer { retiredBuffers.append(buffer) }
        let buffer = freeBuffers.popLast() ?? ByteBuffer(capacity: 64 << 10)
        buffer.removeAll()
        batchBuffer = buffer
        guard
            let reachesBatchEnd = PointRead.decode(
                layout, frame: UnsafeRawBufferPointer(rebasing: window[RecordBatchHeader.size..<header.totalSize]),
                header: header, target: nextOffset, lz4: decoder.lz4, buffer: buffer, into: &handOut.batchRecords,
                headers: &handOut.batchHeaders)
        else { return nil }
        seekedIntoBatch = false
        if reachesBatchEnd { return finishBatch(header) }
        handOut.batchCursor = 0
        return header
    }

    /// Why the offsets of a batch that passed its CRC check cannot be right,
    /// or nil: they must lie in the segment's relative-offset range, after
    /// the batch read before and before the batch that follows (or the end
    /// of the log, or the next segment).
    func offsetProblem(_ header: RecordBatchHeader, limit: Int, head: HeadState) throws(EventLogError)
        -> String?
    {
        let reader = segment!
        var offsets = BatchOffsets(segmentBase: reader.base, lower: max(reader.base, batchNextOffset))
        offsets.nextBatchBase = BatchOffsets.baseOffset(
            in: reader.bytes(limit: limit), at: position + header.totalSize, limit: limit)
        if offsets.nextBatchBase == nil && reader.base == head.activeBase {
            offsets.end = head.nextOffset
        } else if offsets.nextBatchBase == nil {
            offsets.end = try state.catalog.segmentBases(version: head.catalogVersion).first { $0 > reader.base }
            // A segment compaction is replacing (or has just replaced) holds
            // the records of the segments listed after it until they are
            // deleted: that overlap is no damage.
            if let listed = offsets.end, header.nextOffset > listed {
                offsets.end =
                    SegmentSwap.isReplacing(directory: state.directory, base: reader.base)
                    ? nil : try state.catalog.segmentBases(version: nil).first { $0 > reader.base }
            }
        }
        guard offsets.problem(header) != nil else { return nil }
        return "batch offsets \(header.baseOffset)...\(header.lastOffset) do not fit between \(offsets.lower) and "
            + ((offsets.nextBatchBase ?? offsets.end).map { "\($0)" } ?? "the segment's end")
    }

    /// The error for damage at `position`: the file, what and where, and
    /// where reading can go on.
    private func corrupt(_ reader: SegmentReader, _ what: String, _ limit: Int, _ head: HeadState) -> EventLogError {
        guard let (next, header) = nextIntactBatch(after: position, limit: limit, head: head) else {
            return EventLogError(.corrupt, "\(reader.logPath): \(what); no intact batch follows in this segment")
        }
        return EventLogError(
            .corrupt,
            "\(reader.logPath): \(what); the next intact batch starts at byte \(next) (offset \(header.baseOffset))")
    }

    /// Moves past the batch at `position`. A batch decoded in full from
    /// `reader` tells the read-ahead, which starts or follows.
    func finishBatch(_ header: RecordBatchHeader, loadedFrom reader: SegmentReader? = nil, limit: Int = 0)
        -> RecordBatchHeader
    {
        let loadedAt = position
        handOut.batchCursor = 0
        batchNextOffset = header.nextOffset
        position += header.totalSize
        if let reader {
            if readAhead == nil { readAhead = ReadAhead() }
            readAhead!.loaded(reader, at: loadedAt, next: position, limit: limit)
        }
        return header
    }
}
