// SPDX-License-Identifier: Apache-2.0
// Telling a log's segments from strangers: files named like a segment
// (`<20 digits>.log`) that are not segments of this log. A stranger must
// never be cut, appended to or used to judge its neighbours (a garbage file
// named inside a segment's offsets made that segment look as if it ran past
// the next one). The rule, normative in Docs/FORMAT.md §10, in this order:
//   1. not a regular file (directory, FIFO, socket, device, or a symlink,
//      which is never followed): a stranger;
//   2. a regular file that is not blank (empty or zeros) and holds no batch
//      that validates: a stranger, unless it is the last segment and starts
//      like a torn first batch (fewer than 8 bytes, or a baseOffset equal to
//      its base), which is what a writer killed right after a roll leaves;
//   3. a file whose first batches both start below its base (a segment never
//      holds an offset below its base): a stranger;
//   4. two neighbours whose offsets overlap (the earlier one's batches reach
//      past the later one's base or first offset): one is a copy. The writer
//      always names a segment after its first batch's baseOffset, and a copy
//      under another name cannot match, so the one that does not start at
//      its name is the stranger. When both or neither do, no file is moved:
//      the overlap is then damage inside a segment, left to SegmentCheck.
//      A segment a compaction is replacing may overlap the next ones;
//   5. a file without batches named inside its predecessor's offsets, or
//      as the last segment past its predecessor's end: a stranger.
// "Starts at its name" tolerates one damaged baseOffset (outside the CRC):
// the first batch starts at the base, or the batch after it starts where
// the first would end had it started at the base.
internal import EventLogFormat
import Glibc

/// A file named like a segment that is not a segment of this log.
package struct StrangerFile: Equatable, Sendable {
    package var path: String
    package var base: Int64
    package var reason: String
}

enum SegmentIdentity {
    /// What lstat says `path` is when it is not a regular file; nil for a
    /// regular file or one that no longer exists.
    static func nonRegularKind(_ path: String) -> String? {
        (try? FileSystem.status(of: path, followingLinks: false)).flatMap(FileHandle.kindOfNonRegular)
    }

    /// The writable open's cheap form of rules 1-3 for the last segment,
    /// which must not be cut or appended to when it is a stranger: it is
    /// blank, or its first batch's baseOffset is its base (intact or torn),
    /// or its first batch is intact and starts at or above its base (what
    /// compaction may leave) or is followed by one that starts where it
    /// would end had it started at the base (its baseOffset is damaged).
    static func lastSegmentProblem(_ bytes: UnsafeRawBufferPointer, base: Int64) -> String? {
        guard bytes.count >= 8 else { return nil }
        let claimed = Int64(bigEndian: bytes.loadUnaligned(as: Int64.self))
        if claimed == base { return nil }
        if let first = BatchResync.validatedHeader(bytes, at: 0, limit: bytes.count) {
            let second = BatchResync.validatedHeader(bytes, at: first.totalSize, limit: bytes.count)
            if first.baseOffset >= base || Fingerprint.follows(second, first, base: base) { return nil }
        }
        // Last, as it reads the whole file: a preallocated segment.
        if bytes.allSatisfy({ $0 == 0 }) { return nil }
        return "its first bytes are not a batch starting at offset \(base), the offset its name gives "
            + "(they claim offset \(claimed))"
    }

    struct Candidate {
        var base: Int64
        var path: String
        /// What the rules need of its bytes, taken while they were mapped.
        var fingerprint: Fingerprint
        /// A compaction is replacing the segments after it (SegmentSwap):
        /// until it is done they overlap it by design.
        var isReplacing = false
    }

    /// The strangers among `candidates` (regular files, sorted by base), by
    /// rules 2-4, as indexes into `candidates` with the reason.
    static func strangers(_ candidates: [Candidate]) -> [(index: Int, reason: String)] {
        let prints = candidates.map(\.fingerprint)
        var found: [(index: Int, reason: String)] = []
        // Files with batches that are not strangers, in order.
        var kept: [Int] = []
        for (i, print) in prints.enumerated() {
            if let reason = print.strangeAlone(isLast: i == candidates.count - 1) {
                found.append((i, reason))
                continue
            }
            guard let previous = kept.last, !candidates[previous].isReplacing else {
                if print.first != nil { kept.append(i) }
                continue
            }
            guard let first = print.first else {
                if let reason = misplacedBlank(print, isLast: false, after: prints[previous]) {
                    found.append((i, reason))
                }
                continue
            }
            if let end = prints[previous].end, first.baseOffset < end || end > print.base {
                let overlap =
                    "offsets \(prints[previous].first!.baseOffset)..<\(end) of \(candidates[previous].path) "
                    + "and \(first.baseOffset)... of \(candidates[i].path) overlap; "
                    + "its first batch does not start at its base, so it is the copy"
                if prints[previous].startsAtName && !print.startsAtName {
                    found.append((i, overlap))
                    continue
                }
                if !prints[previous].startsAtName && print.startsAtName {
                    found.append((previous, overlap))
                    kept.removeLast()
                }
            }
            kept.append(i)
        }
        // Which file is the last segment is known once the other strangers
        // are out; a misplaced one out makes the one before it the last.
        while let last = candidates.indices.last(where: { i in !found.contains { $0.index == i } }),
            let previous = kept.last(where: { $0 < last }),
            let reason = misplacedBlank(prints[last], isLast: true, after: prints[previous])
        {
            found.append((last, reason))
        }
        return found.sorted { $0.index < $1.index }
    }

    /// Rule 4 for a file without batches (blank, or the last segment's torn
    /// first batch): a writer starts a segment where its predecessor ends,
    /// so one named inside the predecessor's offsets is a stranger, and so
    /// is a last one named past the predecessor's end (taking it would make
    /// the next offset jump to its name). Only judged when the predecessor
    /// starts at its name and a header walk reads it to its end.
    private static func misplacedBlank(_ print: Fingerprint, isLast: Bool, after previous: Fingerprint) -> String? {
        guard print.first == nil, previous.startsAtName, previous.walkedToEnd, let end = previous.end,
            end > print.base || (isLast && end < print.base)
        else { return nil }
        return "it holds no batch and is named at offset \(print.base), but its predecessor ends at offset \(end)"
    }

    /// What the rules look at in one regular file. It holds no bytes, so
    /// that a file need not stay mapped until its neighbours are judged.
    struct Fingerprint {
        let base: Int64
        /// Without a batch: whether the file is empty or zeros.
        private(set) var isBlank = false
        /// Without a batch: what lies at byte 0 instead, and the file's
        /// size, for the report that names it a stranger.
        private(set) var noBatchDetail = ""
        /// Whether it starts like a torn first batch: fewer than 8 bytes, or
        /// a baseOffset equal to its base.
        let startsLikeATornBatch: Bool
        /// The first batch that validates, found from byte 0.
        var first: RecordBatchHeader?
        var second: RecordBatchHeader?
        /// The offset after the last batch a header walk from `first` reaches.
        var end: Int64?
        /// Whether that walk reached the end of the file.
        var walkedToEnd = false

        init(_ bytes: UnsafeRawBufferPointer, base: Int64) {
            self.base = base
            startsLikeATornBatch = bytes.count < 8 || Int64(bigEndian: bytes.loadUnaligned(as: Int64.self)) == base
            let limit = bytes.count
            let position =
                BatchResync.validatedHeader(bytes, at: 0, limit: limit) != nil
                ? 0 : BatchResync.nextBatch(after: 0, in: bytes, limit: limit)
            guard let position, let first = BatchResync.validatedHeader(bytes, at: position, limit: limit) else {
                isBlank = bytes.allSatisfy { $0 == 0 }
                if !isBlank { noBatchDetail = Self.whatStarts(bytes) }
                return
            }
            self.first = first
            second = BatchResync.validatedHeader(bytes, at: position + first.totalSize, limit: limit)
            let walk = BatchScanner.scan(bytes, from: position, limit: limit, checkCRC: false)
            end = walk.nextOffset ?? first.nextOffset
            walkedToEnd = walk.validEnd == limit
        }

        var startsAtName: Bool {
            guard let first else { return false }
            return first.baseOffset == base || Self.follows(second, first, base: base)
        }

        /// What lies at byte 0 of a file without an intact batch, in the
        /// words verify uses for damage inside a segment.
        private static func whatStarts(_ bytes: UnsafeRawBufferPointer) -> String {
            let size = "the file holds \(bytes.count) bytes"
            switch BatchProbe(bytes, at: 0, limit: bytes.count) {
            case .tooShort: return "\(size), too few for a batch"
            case .runsPast(let total, _, _): return "its first batch claims \(total) bytes, and \(size)"
            case .damaged(let error, _):
                return "its first batch fails its check (\(error.detail) at byte \(error.position)); \(size)"
            case .batch: return size  // not reached: the caller found no batch there
            }
        }

        /// Whether `second` starts where `first` would end had `first`
        /// started at `base` (lastOffsetDelta is inside the CRC, baseOffset not).
        static func follows(_ second: RecordBatchHeader?, _ first: RecordBatchHeader, base: Int64) -> Bool {
            second?.baseOffset == base &+ Int64(first.lastOffsetDelta) &+ 1
        }

        /// Rules 2 and 3: a stranger whatever its neighbours are.
        func strangeAlone(isLast: Bool) -> String? {
            guard let first else {
                if isBlank || (isLast && startsLikeATornBatch) { return nil }
                return "it holds no intact batch: \(noBatchDetail)"
            }
            if first.baseOffset < base && (second.map { $0.baseOffset < base } ?? true) {
                return "its batches start at offset \(first.baseOffset), below the offset its name gives (\(base))"
            }
            return nil
        }
    }
}
