// SPDX-License-Identifier: Apache-2.0
// How a LogCursor uses its read-ahead (ReadAhead.swift): after each batch
// it loads it says where it goes on, and before decoding a batch it takes
// it decoded from the read-ahead (its thread's work, or the cursor's own:
// while that thread decodes this batch, the cursor's thread decodes the
// next ones), checking only what depends on the cursor's own position (the
// batch's offsets against the batch before it) and taking the records
// over whole.
internal import EventLogFormat

extension LogCursor {
    /// The batch at `position` as decoded ahead, now the cursor's; nil to
    /// load it here.
    func loadDecodedAhead(_ reader: SegmentReader, limit: Int, head: HeadState) throws(EventLogError)
        -> RecordBatchHeader?
    {
        guard !seekedIntoBatch, let readAhead, readAhead.isRunning,
            let batch = readAhead.worker.take(reader, at: position, spare: freeBuffers.popLast(), decoder: decoder)
        else { return nil }
        // A batch whose offsets do not fit is loaded again here, which
        // reports it as usual.
        guard batch.header.totalSize <= limit - position,
            try offsetProblem(batch.header, limit: limit, head: head) == nil
        else {
            readAhead.worker.recycle(batch)
            return nil
        }
        if let buffer = batchBuffer { retiredBuffers.append(buffer) }
        batchBuffer = batch.buffer
        if batch.buffer == nil { retiredSegments.append(reader) }
        handOut.clearBatch()
        swap(&handOut.batchRecords, &batch.records)
        swap(&handOut.batchHeaders, &batch.headers)
        readAhead.worker.recycle(batch)
        let loadedAt = position
        let header = finishBatch(batch.header)
        readAhead.loaded(reader, at: loadedAt, next: position, limit: limit)
        return header
    }

    /// After a batch loaded here: lets the read-ahead start or follow.
    func noteLoaded(_ reader: SegmentReader, at loaded: Int, limit: Int) {
        if readAhead == nil { readAhead = ReadAhead() }
        readAhead!.loaded(reader, at: loaded, next: position, limit: limit)
    }
}
