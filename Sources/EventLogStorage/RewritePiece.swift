// SPDX-License-Identifier: Apache-2.0
// A piece of a compaction: a run of whole batches of one segment, and what
// becomes of them as it goes through its stages (PieceCleaner): decoded,
// decided (which records are the latest of their key), cleaned (the steps
// that write the batches anew).
internal import EventLogFormat
import Glibc

/// A segment being compacted, mapped while its pieces are.
final class RewriteSegment {
    /// Its `.log` file, which errors name.
    let path: String
    /// Its base offset: offsets below it are damage.
    let base: Int64
    /// Its bytes, as the plan found them (for the active segment: what its
    /// writer had published).
    let size: Int
    /// nil when the segment could not be opened or mapped: `failure` says why.
    private(set) var region: MappedRegion?
    private(set) var failure: EventLogError?

    init(directory: String, base: Int64, size: Int) {
        self.size = size
        self.base = base
        path = SegmentFileName.path(directory: directory, base: base, .log)
        do throws(EventLogError) {
            let file = try FileHandle.open(path, flags: O_RDONLY)
            region = try file.map(length: size, writable: false)
        } catch {
            failure = error
        }
    }

    var bytes: UnsafeRawBufferPointer { region!.bytes(0..<size) }
}

final class RewritePiece {
    enum Step {
        /// The batch at `position` of the segment, unchanged.
        case copy(position: Int, header: RecordBatchHeader)
        /// The batch lost every record.
        case drop(RecordBatchHeader)
        /// The batch rebuilt: these bytes of `rebuilt`.
        case rebuilt(Range<Int>)
    }

    enum Stage { case waiting, decoding, decoded, deciding, decided, cleaning, cleaned }

    /// A batch and, if compaction filters its records, those records and
    /// which of them are the latest of their key (nil for control batches
    /// and codecs other than none and LZ4, which are copied as they are).
    struct Batch {
        var position: Int
        var header: RecordBatchHeader
        var decoded: Decoded?
    }

    struct Decoded {
        var records: [RecordView]
        var headers: [HeaderView]
        var probes: [KeyProbe]
        var latest: [Bool]
    }

    let segment: RewriteSegment
    let range: Range<Int>
    /// Of the active segment: its keys are claimed (they make older records
    /// obsolete), its batches are left alone.
    let claimsOnly: Bool
    var isFirst: Bool { range.lowerBound == 0 }

    // Decoded, until cleaned. Touched for every record: unchecked, as
    // each stage has the piece to itself (see `stage`).
    @exclusivity(unchecked) var batches: [Batch] = []
    var buffers: [ByteBuffer] = []
    /// Records in the piece's batches, filtered or not.
    var recordCount = 0

    // Cleaned.
    var steps: [Step] = []
    var rebuilt: ByteBuffer?
    /// Bytes the steps keep (copied or rebuilt).
    var outputBytes = 0
    var tombstonesRemoved = 0
    /// Where the piece failed: the pass stops here.
    var error: EventLogError?
    /// The key set filled up while deciding: the pass stops here.
    var overflowed = false
    /// Guarded by the pass's lock; the other fields belong to the thread
    /// running the stage, handed over under that lock.
    var stage = Stage.waiting

    init(segment: RewriteSegment, range: Range<Int>, claimsOnly: Bool) {
        self.segment = segment
        self.range = range
        self.claimsOnly = claimsOnly
    }
}
