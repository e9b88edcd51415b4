// SPDX-License-Identifier: Apache-2.0
// Handing out the records of the batch a cursor loaded: each read takes
// the records from the cursor's offset on, up to the count asked, into
// `records` (or straight into a caller's buffer, the one copy the C API's
// structs need) and `headers`, which the reader borrows until its next
// call. The views point into the batch's buffer or mapping, which the
// cursor keeps alive. A value owned by one cursor; not thread-safe.
internal import EventLogFormat

struct RecordHandOut {
    /// The batch being handed out, and the index of its next record.
    var batchRecords: [RecordView] = []
    var batchHeaders: [HeaderView] = []
    var batchCursor = 0
    /// What the current call took, unless it wrote to `destination`;
    /// `headerStart` indexes `headers`.
    private(set) var records: [RecordView] = []
    private(set) var headers: [HeaderView] = []
    /// The caller's buffer the current call writes its records into
    /// instead of `records`, with room for as many as it asks for.
    private var destination: UnsafeMutablePointer<RecordView>?
    /// How many records the current call took.
    private(set) var taken = 0

    mutating func beginCall(into destination: UnsafeMutablePointer<RecordView>? = nil) {
        if !records.isEmpty { records.removeAll(keepingCapacity: true) }
        if !headers.isEmpty { headers.removeAll(keepingCapacity: true) }
        self.destination = destination
        taken = 0
    }

    mutating func clearBatch() {
        batchRecords.removeAll(keepingCapacity: true)
        batchHeaders.removeAll(keepingCapacity: true)
        batchCursor = 0
    }

    /// The batch's first record with an offset >= `nextOffset`, taken alone
    /// (its `headerStart` indexes `batchHeaders`), moving `nextOffset` past
    /// it as `take` does; nil, taking nothing, when the batch holds none.
    mutating func takeOne(nextOffset: inout Int64, batchEnd: Int64) -> RecordView? {
        while batchCursor < batchRecords.count && batchRecords[batchCursor].offset < nextOffset { batchCursor += 1 }
        guard batchCursor < batchRecords.count else { return nil }
        let record = batchRecords[batchCursor]
        batchCursor += 1
        nextOffset = record.offset + 1
        // Compaction can leave offsets after a batch's last record.
        if batchCursor == batchRecords.count { nextOffset = max(nextOffset, batchEnd) }
        return record
    }

    /// Takes the batch's records from the first with an offset >=
    /// `nextOffset` on into `records` and `headers`, until they hold
    /// `maxCount`, moving `nextOffset` past them; past the batch's last
    /// record, to `batchEnd` (the offset after the batch) at least.
    mutating func take(maxCount: Int, nextOffset: inout Int64, batchEnd: Int64) {
        // Records before the position (a seek into the batch) are passed over.
        while batchCursor < batchRecords.count && batchRecords[batchCursor].offset < nextOffset { batchCursor += 1 }
        if takeRun(upTo: min(batchRecords.count, batchCursor + (maxCount - taken)), &nextOffset, batchEnd) { return }
        while batchCursor < batchRecords.count && taken < maxCount {
            var record = batchRecords[batchCursor]
            batchCursor += 1
            guard record.offset >= nextOffset else { continue }
            if record.headerCount > 0 {
                let start = headers.count
                headers.append(contentsOf: batchHeaders[record.headerStart..<record.headerStart + record.headerCount])
                record.headerStart = start
            } else {
                record.headerStart = headers.count  // an empty range of `headers`, never past its end
            }
            put(record)
            nextOffset = record.offset + 1
        }
        // Compaction can leave offsets after a batch's last record, and
        // empty or control batches hold none: the next offset is past them.
        if batchCursor == batchRecords.count { nextOffset = max(nextOffset, batchEnd) }
    }

    /// Takes the batch's records from `batchCursor` to `runEnd` as a whole:
    /// by swapping arrays when the run is the whole batch and the call has
    /// taken nothing yet, else by appending the run in one copy (copying
    /// record by record was 6-7% of a replay). Only for a run whose offsets
    /// start at `nextOffset` or later and rise, which is every run but those
    /// of crafted batches; false, taking nothing, for any other.
    private mutating func takeRun(upTo runEnd: Int, _ nextOffset: inout Int64, _ batchEnd: Int64) -> Bool {
        guard batchCursor < runEnd, batchRecords[batchCursor].offset >= nextOffset else { return false }
        let run = batchCursor..<runEnd
        var previous = batchRecords[batchCursor].offset
        for index in run.dropFirst() {
            guard batchRecords[index].offset > previous else { return false }
            previous = batchRecords[index].offset
        }
        let wholeRest = runEnd == batchRecords.count
        if run.count == batchRecords.count && taken == 0 && destination == nil {
            // Header ranges index the batch's headers, which come along; the
            // batch is left empty, so taken.
            swap(&records, &batchRecords)
            swap(&headers, &batchHeaders)
            batchCursor = 0
            taken = records.count
        } else {
            let firstRecord = taken
            putRun(run)
            // A run's headers are contiguous in the batch's headers, in
            // record order: they move as one block, and the run's header
            // ranges shift by the distance the block moved.
            let headerFrom = batchRecords[run.lowerBound].headerStart
            let last = batchRecords[runEnd - 1]
            let headerTo = last.headerStart + last.headerCount
            let shift = headers.count - headerFrom
            if headerTo > headerFrom { headers.append(contentsOf: batchHeaders[headerFrom..<headerTo]) }
            if shift != 0 { shiftHeaderStarts(from: firstRecord, by: shift) }
            batchCursor = runEnd
        }
        nextOffset = previous + 1
        // Compaction can leave offsets after a batch's last record.
        if wholeRest { nextOffset = max(nextOffset, batchEnd) }
        return true
    }

    private mutating func put(_ record: RecordView) {
        if let destination { destination[taken] = record } else { records.append(record) }
        taken += 1
    }

    /// Appends the batch's records in `run` to what the call took, in one
    /// copy.
    private mutating func putRun(_ run: Range<Int>) {
        if let destination {
            batchRecords.withUnsafeBufferPointer {
                (destination + taken).update(from: $0.baseAddress! + run.lowerBound, count: run.count)
            }
        } else {
            records.append(contentsOf: batchRecords[run])
        }
        taken += run.count
    }

    private mutating func shiftHeaderStarts(from first: Int, by shift: Int) {
        if let destination {
            for index in first..<taken { destination[index].headerStart += shift }
        } else {
            for index in first..<taken { records[index].headerStart += shift }
        }
    }
}
