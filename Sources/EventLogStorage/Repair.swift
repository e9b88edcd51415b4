// `recover`: Kafka's answer to damage (LogSegment.recover, LogLoader), for a
// log directory that no writer has open. Every batch up to the first damaged
// batch or torn tail is kept; that segment is cut there and every later
// segment is deleted; the cut segment's indexes are rebuilt, and so are those
// of any segment whose indexes are missing, wrong or untrimmed. It holds the
// writer lock and the maintenance lock throughout, so it never runs beside a
// writer, a compaction or retention (EBUSY). A closed
// segment is cut by copying its good prefix to a new file renamed over the
// old one, because readers in other processes may map the old file and
// would fault on pages an in-place truncation removed; the head file is then
// republished so that readers, and the next writer, see the new end.
import EventLogFormat
import Glibc

/// What recover did.
public struct RepairResult: Equatable, Sendable {
    /// Records in the batches that were cut or deleted (as far as their
    /// headers tell; a header too damaged to read counts none).
    public var recordsDropped = 0
    /// Bytes removed: the cut tail plus the deleted segments' .log files.
    public var bytesTruncated = 0
    public var segmentsDeleted = 0
    /// Segments whose .index and .timeindex were rebuilt.
    public var indexesRebuilt = 0
    /// The offset the next record appended will get.
    public var nextOffset: Int64 = 0
    /// What was wrong before the repair, as verify reports it.
    public var problems: [VerificationProblem] = []
}

public enum Repair {
    /// Truncates the log after its last good batch, as Kafka's recovery does.
    public static func recover(directory: String) throws(EventLogError) -> RepairResult {
        try Verifier.checkDirectory(directory)
        let lock = try WriterLock.acquire(directory: directory, mode: 0o644)
        // Compaction and retention run beside a writer, so they are kept out
        // by a lock of their own; a replacement they left half done is
        // finished (or undone) first, as a writable open would.
        let maintenance = try MaintenanceLock.acquireOrFail(directory: directory, wait: false)
        defer { withExtendedLifetime((lock, maintenance)) {} }
        _ = try SegmentSwap.recover(directory: directory, head: HeadFile.openForReader(directory: directory))
        let inspection = try Verifier.inspect(directory: directory, writerExcluded: true)
        var segments = inspection.segments
        var result = RepairResult()
        result.problems = segments.flatMap { $0.check.problems }
        var cutBase: Int64?
        if let damaged = segments.firstIndex(where: { $0.check.cutPosition != nil }) {
            let segment = segments[damaged]
            let cut = segment.check.cutPosition!
            let later = segments[(damaged + 1)...]
            result.recordsDropped =
                segment.check.recordsAfterCut
                + later.reduce(0) { $0 + $1.check.records + $1.check.recordsInDamage }
            result.bytesTruncated = segment.fileSize - cut + later.reduce(0) { $0 + $1.fileSize }
            // Last first, so that a crash part way leaves a log without gaps.
            for gone in later.reversed() {
                for kind in [SegmentFileKind.offsetIndex, .timeIndex, .log] {
                    try FileSystem.remove(SegmentFileName.path(directory: directory, base: gone.base, kind))
                }
            }
            result.segmentsDeleted = later.count
            let inPlace = damaged == segments.count - 1 && isUnpublished(cut, segment, inspection.head)
            try shorten(segment.logPath, to: cut, inPlace: inPlace)
            segments.removeSubrange((damaged + 1)...)
            segments[damaged].fileSize = cut
            segments[damaged].check.nextOffset = segment.check.nextOffsetAtCut
            cutBase = segment.base
        }
        var lastReplay: IndexReplay?
        for (i, segment) in segments.enumerated()
        where segment.base == cutBase || segment.check.indexNeedsRebuild || i == segments.count - 1 {
            let replay = try rebuildIndexes(directory: directory, segment: segment)
            if segment.base == cutBase || segment.check.indexNeedsRebuild { result.indexesRebuilt += 1 }
            if i == segments.count - 1 { lastReplay = replay }
        }
        try FileSystem.syncDirectory(directory)
        result.nextOffset = segments.last?.check.nextOffset ?? 0
        if let last = segments.last, let lastReplay {
            republishHead(directory: directory, first: segments[0].base, last: last, replay: lastReplay)
        }
        return result
    }

    /// Whether no reader can be reading at or past `cut` in the last segment:
    /// readers of the active segment stop at what the head published.
    private static func isUnpublished(_ cut: Int, _ segment: Verifier.InspectedSegment, _ head: HeadState?) -> Bool {
        guard let head, head.activeBase == segment.base else { return false }
        return Int64(cut) >= head.committedPosition
    }

    /// Cuts the .log at `length`: in place, or by copying the prefix to a new
    /// file renamed over the old one.
    private static func shorten(_ path: String, to length: Int, inPlace: Bool) throws(EventLogError) {
        let source = try FileHandle.open(path, flags: inPlace ? O_RDWR : O_RDONLY)
        if inPlace {
            try source.truncate(to: length)
            try source.syncData()
            return
        }
        let temporary = path + ".rebuild"
        let copy = try FileHandle.open(
            temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: try permissions(of: source))
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        var done = 0
        while done < length {
            let want = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<min(chunk.count, length - done)])
            let got = try source.read(into: want, at: done)
            guard got == want.count else {
                throw EventLogError(.io, "\(path): the file shrank to \(done + got) bytes while being copied")
            }
            try copy.write(UnsafeRawBufferPointer(want), at: done)
            done += got
        }
        try copy.truncate(to: length)
        try copy.syncData()
        try FileSystem.rename(temporary, path)
    }

    private static func rebuildIndexes(directory: String, segment: Verifier.InspectedSegment) throws(EventLogError)
        -> IndexReplay
    {
        let log = try FileHandle.open(segment.logPath, flags: O_RDONLY)
        let size = try log.size()
        let region = try log.map(length: size, writable: false)
        let replay = IndexRebuild.replay(region.bytes(0..<size), base: segment.base)
        try IndexRebuild.write(replay, directory: directory, mode: try permissions(of: log))
        return replay
    }

    /// The permission bits of an existing file, for files that replace it or
    /// sit beside it.
    private static func permissions(of file: FileHandle) throws(EventLogError) -> mode_t {
        var st = stat()
        guard fstat(file.fd, &st) == 0 else { throw .system("fstat", path: file.path, errno: errno) }
        return st.st_mode & 0o777
    }

    /// Tells readers, and the next writer, where the log now ends. A
    /// directory without a valid head file (plain Kafka) gets none.
    private static func republishHead(
        directory: String, first: Int64, last: Verifier.InspectedSegment, replay: IndexReplay
    ) {
        guard let existing = HeadFile.openForReader(directory: directory),
            let head = try? HeadFile.openForWriter(directory: directory, mode: 0o644, pid: getpid())
        else { return }
        var state = HeadState()
        state.activeBase = last.base
        state.committedPosition = Int64(last.fileSize)
        state.nextOffset = last.check.nextOffset
        state.startOffset = first
        state.offsetIndexEntries = UInt32(replay.offsetEntries.count)
        state.timeIndexEntries = UInt32(replay.timeEntries.count)
        state.catalogVersion = existing.read().state.catalogVersion &+ 1
        state.activeMaxTimestamp = replay.maxTimestamp
        head.publish(state)
        head.noteSegmentsChanged()
    }
}
