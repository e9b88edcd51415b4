// SPDX-License-Identifier: Apache-2.0
// Checking one segment, its bytes and its indexes, without any I/O: every
// batch's structure and CRC, its records (decompressed and decoded), the
// order of offsets within and across segments, and whether each .index and
// .timeindex entry says what Kafka's rules say it must (Docs/FORMAT.md §6).
// Verify runs it over every segment, recover uses its findings to decide
// where to cut, and the fuzz target runs it over arbitrary bytes, so nothing
// here may trap on hostile input. Damage does not end the check: the next
// intact batch is found (BatchResync) and checking goes on from there.
internal import EventLogFormat

/// One thing wrong in a log directory: the file, the byte position in it, and what.
package struct VerificationProblem: Equatable, Sendable, CustomStringConvertible {
    package var file: String
    package var position: Int
    package var detail: String

    package var description: String { "\(file): \(detail) at byte \(position)" }
}

package enum SegmentCheck {
    package struct Input {
        package var bytes: UnsafeRawBufferPointer
        package var base: Int64
        package var logPath: String
        /// The index files' bytes; nil when a file is missing.
        package var offsetIndex: UnsafeRawBufferPointer?
        package var timeIndex: UnsafeRawBufferPointer?
        /// Entries to consider: what the head published for the active segment.
        package var offsetIndexEntries: Int?
        package var timeIndexEntries: Int?
        /// The last segment, where a torn or zeroed tail is where a writer
        /// stopped (a crash, or a writer still running), not damage.
        package var isLast = false
        /// For the last segment: the end of what its writer published. Bytes
        /// before it must be whole; bytes after it may be an unfinished write.
        package var publishedEnd: Int?
        /// The offset after the previous segment's last batch.
        package var previousNextOffset: Int64?
        /// The next segment's base: the last batch must end below it.
        package var nextSegmentBase: Int64?
        /// With `publishedEnd`: the offset after the batch that ends there.
        package var publishedNextOffset: Int64?

        package init(bytes: UnsafeRawBufferPointer, base: Int64, logPath: String) {
            self.bytes = bytes
            self.base = base
            self.logPath = logPath
        }
    }

    package struct Result: Sendable {
        package var batches = 0
        /// Records of the valid batches.
        package var records = 0
        package var corruptBatches = 0
        /// Bytes after the last valid batch: what a recovery would cut.
        package var truncatedBytes = 0
        package var problems: [VerificationProblem] = []
        /// The offset after the last valid batch (the lower bound if none).
        package var nextOffset: Int64 = 0
        package var maxTimestamp: Int64 = -1
        /// Where recover cuts: the first damaged batch or torn tail; nil when
        /// every byte belongs to a valid batch.
        package var cutPosition: Int? { damage.first?.start }
        /// The offset after the last valid batch before `cutPosition`.
        package var nextOffsetAtCut: Int64 = 0
        /// Records from `cutPosition` on, as far as batch headers tell.
        package var recordsAfterCut = 0
        /// Records that damaged batches claim to hold.
        package var recordsInDamage: Int { damage.reduce(0) { $0 + $1.claimedRecords } }
        /// The index files are missing, inconsistent or not trimmed.
        package var indexNeedsRebuild = false
        /// Every byte range that is not a valid batch, in order: what
        /// recover quarantines (or, for a torn tail, cuts).
        package var damage: [DamagedRange] = []
    }

    /// Bytes `start..<end` of a segment that hold no valid batch.
    package struct DamagedRange: Equatable, Sendable {
        package var start: Int
        package var end: Int
        /// The offsets the first damaged batch's header claims, when it could
        /// be read (baseOffset is outside the CRC: a claim, not a fact).
        package var claimedOffsets: ClosedRange<Int64>?
        /// Records the damaged batches' headers claim.
        package var claimedRecords: Int
        package var reason: String
        /// The end of the last segment where a writer stopped mid-write:
        /// cut, not damage.
        package var isTornTail: Bool
    }

    /// At most this many problems are listed per segment; one more line
    /// then says how many were left out.
    static let maxProblems = 1000

    package static func check(_ input: Input) -> Result { SegmentChecker(input).run() }
}

/// The state of one check: a walk over the batches, merged with walks over
/// the index entries (both are sorted by position and offset).
private final class SegmentChecker {
    let input: SegmentCheck.Input
    let bytes: UnsafeRawBufferPointer
    let end: Int
    var result = SegmentCheck.Result()
    var omittedProblems = 0
    /// The batch before overlapped this one: one of the two has a damaged
    /// baseOffset, and nothing tells which, so both are corrupt.
    var overlapsPrevious = false
    /// Set after damage until the next valid batch: index entries that point
    /// into the damage cannot be checked and are passed over silently.
    var damagedFrom: Int?

    var offsetEntries: [OffsetIndexEntry] = []
    var nextOffsetEntry = 0
    var timeEntries: [TimeIndexEntry] = []
    var nextTimeEntry = 0
    /// The index files whose first inconsistency was reported.
    var reportedIndexes: Set<SegmentFileKind> = []

    let decoder = BatchDecoder(bufferCapacity: 64 << 10)

    init(_ input: SegmentCheck.Input) {
        self.input = input
        bytes = input.bytes
        end = input.bytes.count
        result.nextOffset = max(input.base, input.previousNextOffset ?? input.base)
        result.nextOffsetAtCut = result.nextOffset
    }

    func run() -> SegmentCheck.Result {
        if end > Int(Int32.max) {
            problem(input.logPath, Int(Int32.max), "segment of \(end) bytes exceeds Kafka's limit of 2^31-1 bytes")
        }
        if let previous = input.previousNextOffset, input.base < previous {
            problem(
                input.logPath, 0, "segment base \(input.base) is below the previous segment's next offset \(previous)")
        }
        let base = input.base
        offsetEntries = loadIndex(input.offsetIndex, .offsetIndex, published: input.offsetIndexEntries) {
            "offset \(base &+ Int64($0.relativeOffset)), position \($0.position)"
        }
        timeEntries = loadIndex(input.timeIndex, .timeIndex, published: input.timeIndexEntries) {
            "timestamp \($0.timestamp), offset \(base &+ Int64($0.relativeOffset))"
        }
        BatchScanner.walk(bytes, from: 0, limit: end, visit: { check($0.header, at: $0.position) }) {
            damaged(at: $0, found: $1)
        }
        checkLeftoverIndexEntries()
        if omittedProblems > 0 {
            result.problems.append(
                VerificationProblem(
                    file: input.logPath, position: 0, detail: "\(omittedProblems) more problems not listed"))
        }
        return result
    }

    // MARK: Batches

    /// Where no whole, sound batch starts: reports it and says where
    /// checking goes on, or nil when the rest is a torn or damaged tail.
    private func damaged(at position: Int, found: BatchProbe) -> Int? {
        switch found {
        case .batch, .tooShort:
            let remaining = end - position
            tail(at: position, header: nil, detail: "\(remaining) bytes after the last batch are too few for a batch")
            return nil
        case .runsPast(let total, let remaining, let claimed):
            return damaged(
                at: position, header: claimed,
                detail: "batch of \(total) bytes runs past the end of the segment (\(remaining) bytes left)")
        case .damaged(let error, let claimed):
            return damaged(
                at: position, header: claimed, detail: "\(error.detail) (in the batch starting at byte \(position))",
                problemAt: error.position)
        }
    }

    /// Checks a batch whose structure and CRC are sound: its offsets
    /// between its neighbours and its records.
    private func check(_ header: RecordBatchHeader, at position: Int) {
        // From here on the batch's length is trustworthy (the CRC range ends
        // where it says), so a bad batch is skipped by its length.
        let overlapped = overlapsPrevious
        overlapsPrevious = false
        let batch = UnsafeRawBufferPointer(rebasing: bytes[position..<position + header.totalSize])
        let detail =
            overlapped
            ? "batch offsets \(header.baseOffset)...\(header.lastOffset) overlap the batch before"
            : offsetProblem(header, at: position) ?? recordProblem(header, batch, at: position)
        guard let detail else { return accept(header, at: position) }
        corrupt(at: position, until: position + header.totalSize, header: header, detail: detail)
    }

    /// baseOffset is outside the CRC, so offsets are checked against the
    /// neighbours: not below the batch before (the next offset so far),
    /// not past the batch after (or the next segment, or what the writer
    /// published).
    private func offsetProblem(_ header: RecordBatchHeader, at position: Int) -> String? {
        let after = position + header.totalSize
        let offsets = BatchOffsets(
            segmentBase: input.base, lower: result.nextOffset,
            nextBatchBase: BatchOffsets.baseOffset(in: bytes, at: after, limit: end),
            end: after == end ? input.nextSegmentBase : nil,
            published: after == input.publishedEnd ? input.publishedNextOffset : nil)
        let range = "batch offsets \(header.baseOffset)...\(header.lastOffset)"
        switch offsets.problem(header) {
        case nil: return nil
        case .goesBack: return "\(range) go back (expected \(offsets.lower) or later)"
        case .pastRelativeRange:
            return "batch last offset \(header.lastOffset) is more than 2^31-1 past the segment base \(input.base)"
        case .overlapsNext(let next):
            overlapsPrevious = true
            return "\(range) overlap the next batch's (from \(next))"
        case .reachesEnd(let nextBase): return "\(range) reach the next segment's base \(nextBase)"
        case .disagreesWithPublished(let published):
            return "\(range) disagree with the published next offset \(published)"
        }
    }

    /// Decompresses and decodes the records, which must lie in the batch's
    /// offset range, in increasing order.
    private func recordProblem(_ header: RecordBatchHeader, _ batch: UnsafeRawBufferPointer, at position: Int)
        -> String?
    {
        let payload = UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...])
        do throws(FormatError) {
            guard try decoder.decode(header, payload: payload) else {
                return "compression codec \(header.attributes & 7) is not supported (at byte \(position + 21))"
            }
        } catch {
            return "\(error.detail) in the records of the batch at byte \(position) "
                + "(byte \(error.position) of its records section)"
        }
        var previous = header.baseOffset &- 1
        for record in decoder.records {
            guard record.offset > previous, record.offset <= header.lastOffset else {
                return "record offset \(record.offset) is out of order in the batch at byte \(position) "
                    + "(offsets \(header.baseOffset)...\(header.lastOffset))"
            }
            previous = record.offset
        }
        return nil
    }

    private func accept(_ header: RecordBatchHeader, at position: Int) {
        result.batches += 1
        result.records += Int(header.recordsCount)
        if result.cutPosition != nil {
            result.recordsAfterCut += Int(header.recordsCount)
        } else {
            result.nextOffsetAtCut = header.nextOffset
        }
        result.nextOffset = header.nextOffset
        result.maxTimestamp = max(result.maxTimestamp, header.maxTimestamp)
        matchOffsetIndex(header, at: position)
        matchTimeIndex(header)
        damagedFrom = nil
    }

    /// A batch that cannot be trusted at all: skip it by its length if that
    /// lands on an intact batch, else find the next one; no next batch makes
    /// the rest a tail.
    private func damaged(at position: Int, header: RecordBatchHeader?, detail: String, problemAt: Int? = nil)
        -> Int?
    {
        let skip = header.map { position + $0.totalSize }
        let next: Int?
        if let skip, skip <= end, skip == end || BatchResync.isIntact(bytes, at: skip, limit: end) {
            next = skip
        } else {
            next = BatchResync.nextBatch(
                after: position, in: bytes, limit: end, indexedStart: indexedStart(after: position))
        }
        guard let next, next < end else {
            tail(at: position, header: header, detail: detail, problemAt: problemAt)
            return nil
        }
        corrupt(at: position, until: next, header: header, detail: detail, problemAt: problemAt)
        return next
    }

    private func corrupt(
        at position: Int, until end: Int, header: RecordBatchHeader?, detail: String, problemAt: Int? = nil
    ) {
        result.corruptBatches += 1
        problem(input.logPath, problemAt ?? position, detail)
        note(position..<end, header: header, detail: detail, isTornTail: false)
    }

    /// Everything from `position` on is not a batch: a torn write where the
    /// writer stopped, or damage.
    private func tail(at position: Int, header: RecordBatchHeader?, detail: String, problemAt: Int? = nil) {
        result.truncatedBytes += end - position
        let isTorn = input.isLast && looksTorn(at: position, header: header)
        note(position..<end, header: header, detail: detail, isTornTail: isTorn)
        if isTorn { return }
        if !isZero(position..<end) { result.corruptBatches += 1 }
        problem(
            input.logPath, problemAt ?? position,
            "\(detail); \(end - position) bytes from byte \(position) on are not valid batches")
    }

    /// Notes `range` as holding no valid batch: recover cuts there at the
    /// latest, and index entries pointing into it cannot be checked.
    private func note(_ range: Range<Int>, header: RecordBatchHeader?, detail: String, isTornTail: Bool) {
        let claimedRecords = max(0, Int(header?.recordsCount ?? 0))
        result.recordsAfterCut += claimedRecords
        damagedFrom = damagedFrom ?? range.lowerBound
        let claimed = header.flatMap { $0.lastOffset >= $0.baseOffset ? $0.baseOffset...$0.lastOffset : nil }
        result.damage.append(
            SegmentCheck.DamagedRange(
                start: range.lowerBound, end: range.upperBound, claimedOffsets: claimed,
                claimedRecords: claimedRecords, reason: detail, isTornTail: isTornTail))
    }

    /// Whether the tail of the last segment is what a writer leaves when it
    /// stops mid-write: past what it published, or (without a published end)
    /// preallocated zeros, a batch cut short by the end of the file, or a
    /// batch whose copy stopped part way, followed by zeros.
    private func looksTorn(at position: Int, header: RecordBatchHeader?) -> Bool {
        if let published = input.publishedEnd { return position >= published }
        if end - position < RecordBatchHeader.size || isZero(position..<end) { return true }
        guard let header else { return false }
        let batchEnd = position + header.totalSize
        return batchEnd >= end || isZero(batchEnd..<end)
    }

    private func isZero(_ range: Range<Int>) -> Bool {
        UnsafeRawBufferPointer(rebasing: bytes[range]).allSatisfy { $0 == 0 }
    }

    private func problem(_ file: String, _ position: Int, _ detail: String) {
        guard result.problems.count < SegmentCheck.maxProblems else {
            omittedProblems += 1
            return
        }
        result.problems.append(VerificationProblem(file: file, position: position, detail: detail))
    }

    // MARK: Indexes

    /// The entries of an index file up to the first that does not follow
    /// the one before it (reported), within what the head published for
    /// the active segment; nil data is a missing file.
    private func loadIndex<Entry: IndexEntry>(
        _ data: UnsafeRawBufferPointer?, _ kind: SegmentFileKind, published: Int?, describe: (Entry) -> String
    ) -> [Entry] {
        guard let data else {
            result.indexNeedsRebuild = true
            return []
        }
        let size = Entry.size
        if data.count % size != 0 {
            reportIndex(kind, at: data.count - data.count % size, "length \(data.count) is not a multiple of \(size)")
        }
        var count = max(0, min(data.count / size, published ?? Int.max))
        if input.isLast && published == nil {
            // A writer preallocates the active segment's indexes with zeros.
            while count > 0 && Entry(loadingFrom: data.baseAddress! + (count - 1) * size).isPreallocated { count -= 1 }
        }
        // Untrimmed (a crashed or running writer's preallocation): fine to
        // read, but not what Kafka expects of a file it is handed.
        if data.count != count * size { result.indexNeedsRebuild = true }
        let prefix = TrustedIndexPrefix<Entry>(data, count: count)
        if let i = prefix.brokenAt {
            let entry = Entry(loadingFrom: data.baseAddress! + i * size)
            reportEntry(kind, i, "(\(describe(entry))) does not follow the entry before it")
        }
        return prefix.entries
    }

    /// An .index entry points at each batch start it names, with the
    /// batch's last offset.
    private func matchOffsetIndex(_ header: RecordBatchHeader, at position: Int) {
        let base = input.base
        match(.offsetIndex, offsetEntries, &nextOffsetEntry, at: Int64(position), by: { Int64($0.position) }) { entry in
            damagedFrom.map { Int(entry.position) >= $0 } == true
                ? nil : "points at byte \(entry.position) of the segment, where no batch starts"
        } check: {
            base &+ Int64($0.relativeOffset) == header.lastOffset
                ? nil
                : "says offset \(base &+ Int64($0.relativeOffset)) but the batch at byte \(position) ends at offset "
                    + "\(header.lastOffset)"
        }
    }

    /// A .timeindex entry (T, O) names the batch whose last offset is O: it
    /// holds T as its largest timestamp, and T is the largest so far.
    private func matchTimeIndex(_ header: RecordBatchHeader) {
        let base = input.base
        let afterDamage = damagedFrom != nil
        let largest = result.maxTimestamp
        // After damage the largest timestamp so far is unknown.
        let largestKnown = result.cutPosition == nil
        let relative = header.lastOffset - base
        match(.timeIndex, timeEntries, &nextTimeEntry, at: relative, by: { Int64($0.relativeOffset) }) {
            afterDamage && base &+ Int64($0.relativeOffset) < header.baseOffset
                ? nil : "names offset \(base &+ Int64($0.relativeOffset)), which is not the last offset of a batch"
        } check: {
            $0.timestamp == header.maxTimestamp && (!largestKnown || $0.timestamp == largest)
                ? nil
                : "says timestamp \($0.timestamp) for offset \(header.lastOffset), but that batch's largest "
                    + "timestamp is \(header.maxTimestamp) (largest so far \(largest))"
        }
    }

    /// Steps `next` through `entries` (sorted by `key`) up to and past the
    /// one at `target`: `stray` says what is wrong with each entry before it
    /// (nil: nothing to report), `check` with the one at it.
    private func match<Entry>(
        _ kind: SegmentFileKind, _ entries: [Entry], _ next: inout Int, at target: Int64, by key: (Entry) -> Int64,
        stray: (Entry) -> String?, check: (Entry) -> String?
    ) {
        while next < entries.count && key(entries[next]) < target {
            if let detail = stray(entries[next]) { reportEntry(kind, next, detail) }
            next += 1
        }
        guard next < entries.count, key(entries[next]) == target else { return }
        if let detail = check(entries[next]) { reportEntry(kind, next, detail) }
        next += 1
    }

    /// Entries beyond the last valid batch: inside a damaged or torn tail
    /// they cannot be checked (the tail is reported); elsewhere they are wrong.
    private func checkLeftoverIndexEntries() {
        let damageEnd = result.cutPosition != nil
        if nextOffsetEntry < offsetEntries.count {
            result.indexNeedsRebuild = true
            let entry = offsetEntries[nextOffsetEntry]
            if !damageEnd || Int(entry.position) >= end {
                reportEntry(.offsetIndex, nextOffsetEntry, "points at byte \(entry.position), past the last batch")
            }
        }
        if nextTimeEntry < timeEntries.count {
            result.indexNeedsRebuild = true
            if !damageEnd {
                let entry = timeEntries[nextTimeEntry]
                reportEntry(
                    .timeIndex, nextTimeEntry,
                    "names offset \(input.base &+ Int64(entry.relativeOffset)), past the last batch")
            }
        }
    }

    private func indexedStart(after position: Int) -> Int? {
        let i = partitionPoint(offsetEntries.count) { Int(offsetEntries[$0].position) > position }
        return i < offsetEntries.count ? Int(offsetEntries[i].position) : nil
    }

    /// Reports entry `i` of the .index or .timeindex (see reportIndex).
    private func reportEntry(_ kind: SegmentFileKind, _ i: Int, _ detail: String) {
        let size = kind == .offsetIndex ? OffsetIndexEntry.size : TimeIndexEntry.size
        reportIndex(kind, at: i * size, "entry \(i) " + detail)
    }

    /// Reports the first inconsistency of each index file only: one wrong
    /// entry usually makes every later comparison wrong too.
    private func reportIndex(_ kind: SegmentFileKind, at position: Int, _ detail: String) {
        result.indexNeedsRebuild = true
        guard reportedIndexes.insert(kind).inserted else { return }
        let stem = input.logPath.hasSuffix(".log") ? String(input.logPath.dropLast(4)) : input.logPath
        problem(stem + kind.rawValue, position, (kind == .offsetIndex ? "index " : "time index ") + detail)
    }
}
