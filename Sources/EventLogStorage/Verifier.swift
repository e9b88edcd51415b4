// SPDX-License-Identifier: Apache-2.0
// `verify`: a read-only check of a whole log directory. Every segment goes
// through SegmentCheck (batches, CRCs, records, offsets, both indexes) and
// every named cursor file through its own checksum. Safe beside a running
// writer: the active segment is read only up to what the writer published,
// with whatever follows copied rather than mapped (the writer may trim it),
// and index files are read with pread for the same reason. The inspection
// is shared with recover, which runs it with the writer lock held.
internal import EventLogFormat
import Glibc

package enum Verifier {
    /// Bytes of segments checked so far, and of all segments to check.
    package typealias Progress = (_ bytesDone: Int, _ bytesTotal: Int) -> Void

    /// Checks every batch of every segment, and every named cursor file,
    /// without modifying anything; `progress` is told after each segment.
    package static func verify(directory: String, progress: Progress? = nil) throws(EventLogError) -> Inspection {
        try LogPresence.require(directory: directory)
        var inspection = try inspect(directory: directory, writerExcluded: false, progress: progress)
        inspection.cursorProblems = cursorProblems(directory: directory)
        return inspection
    }

    package struct InspectedSegment {
        var base: Int64
        var logPath: String
        var fileSize: Int
        package var check: SegmentCheck.Result
    }

    /// What verify found in a log directory, and what recover plans from.
    package struct Inspection {
        package var segments: [InspectedSegment]
        /// Files named like segments that are not segments of this log
        /// (SegmentIdentity): left out of `segments`.
        var strangers: [StrangerFile]
        /// The head file's last state, if it has one.
        var head: HeadState?
        /// Named cursor files whose checksum or size is wrong (verify only).
        package var cursorProblems: [VerificationProblem] = []

        /// What is wrong with the segments, then each stranger. A torn tail
        /// of the last segment (where a writer stopped) is no problem: it
        /// counts in that segment's `truncatedBytes` only.
        package var problems: [VerificationProblem] {
            segments.flatMap(\.check.problems)
                + strangers.map {
                    VerificationProblem(file: $0.path, position: 0, detail: "not a segment of this log: \($0.reason)")
                }
        }
    }

    /// Sorts out strangers, then runs SegmentCheck over every segment in
    /// order, telling `progress` after each. `writerExcluded`: the caller
    /// holds the writer lock, so no file can shrink under a mapping.
    static func inspect(directory: String, writerExcluded: Bool, progress: Progress? = nil) throws(EventLogError)
        -> Inspection
    {
        // The head first: what it says is at most as new as the files.
        let head = HeadFile.openForReader(directory: directory)?.published
        let bases = try SegmentCatalog.listBases(directory: directory)
        var strangers: [StrangerFile] = []
        // `replacing`: a compaction replacing segments (now, or interrupted)
        // lets the merged segment overlap the ones it replaces until it is
        // done. Looked at once, so both checks below see the same answer.
        var files: [MappedSegment] = []
        for base in bases {
            let path = SegmentFileName.path(directory: directory, base: base, .log)
            // Checked before opening: opening a FIFO would wait for a writer.
            if let kind = SegmentIdentity.nonRegularKind(path) {
                strangers.append(StrangerFile(path: path, base: base, reason: "it is \(kind), not a regular file"))
                continue
            }
            // A segment the writer may be writing: the last one, the head's
            // active one, and any it rolled to since the head was read. Its
            // indexes are read before its bytes, so that every entry read
            // names a batch already written (the writer writes the batch,
            // then indexes it); read after, an entry could name a batch the
            // bytes taken do not hold yet, and a sound segment would look
            // damaged.
            let beingWritten =
                !writerExcluded && head != nil && (base == bases.last || base >= head!.activeBase)
            let indexes = beingWritten ? try SegmentIndexes(directory: directory, base: base) : nil
            // Deleted since listed (retention): no longer part of the log.
            guard let (log, status) = try openLog(path) else { continue }
            let size = Int(status.st_size)
            // The writer's segment may be trimmed under a mapping of its
            // whole length: past what it published, bytes are copied.
            let region =
                beingWritten
                ? try log.mapStablePrefix(
                    head.map { $0.activeBase == base ? Int(clamping: $0.committedPosition) : 0 } ?? 0, length: size)
                : try log.map(length: size, writable: false)
            // A closed segment is mapped again for its check: keeping every
            // segment mapped until then failed past some 60,000 segments,
            // at the process's limit of mappings (vm.max_map_count).
            files.append(
                MappedSegment(
                    base: base, path: path, identity: FileIdentity(status), region: beingWritten ? region : nil,
                    length: region.length, fingerprint: SegmentIdentity.Fingerprint(region.all, base: base),
                    replacing: SegmentSwap.isReplacing(directory: directory, base: base), indexes: indexes))
        }
        let found = SegmentIdentity.strangers(
            files.map {
                SegmentIdentity.Candidate(
                    base: $0.base, path: $0.path, fingerprint: $0.fingerprint, isReplacing: $0.replacing)
            })
        strangers += found.map {
            StrangerFile(path: files[$0.index].path, base: files[$0.index].base, reason: $0.reason)
        }
        files = files.indices.filter { i in !found.contains { $0.index == i } }.map { files[$0] }
        strangers.sort { $0.base < $1.base }

        var segments: [InspectedSegment] = []
        var previousNext: Int64?
        let bytesTotal = files.reduce(0) { $0 + $1.length }
        var bytesDone = 0
        progress?(0, bytesTotal)
        for (i, file) in files.enumerated() {
            let base = file.base
            let isLast = i == files.count - 1
            let indexes =
                if let read = file.indexes { read } else { try SegmentIndexes(directory: directory, base: base) }
            // Retention deleted it since it was first mapped: no longer part
            // of the log. Compaction replaced it: the replacement is checked,
            // but not against neighbours listed before it (a merged segment
            // holds the records of the ones after it, deleted next), and
            // `replaced(since:)` below tells about its indexes.
            let mapped = if let kept = file.region { (region: kept, isNewFile: false) } else { try file.mapAgain() }
            guard let (region, isNewFile) = mapped else { continue }
            let judgedWithNeighbours = !file.replacing && !isNewFile
            let (offsetIndex, timeIndex) = (indexes.offset, indexes.time)
            // An index gone with its .log since the .log was mapped: retention
            // deleted the segment meanwhile, which is no damage.
            if offsetIndex == nil || timeIndex == nil, !file.isStillAtPath { continue }
            var input = SegmentCheck.Input(bytes: region.all, base: base, logPath: file.path)
            // A segment the writer rolled away from since the head was read
            // is listed before the new one; until the roll trimmed it, its
            // file ran on into preallocated space, which is no more damage
            // than in the last segment.
            input.isLast = isLast || file.mayBeWritten
            input.previousNextOffset = previousNext
            input.nextSegmentBase = isLast || !judgedWithNeighbours ? nil : files[i + 1].base
            // What the head published of a segment the writer may be
            // writing: its active segment up to the committed position, one
            // it rolled to since then nothing. Past that, bytes were copied
            // while they may have been written (a reader can find a batch's
            // baseOffset written and its batchLength not yet), so a tail
            // there is an unfinished write, not damage: reported as damage
            // about once in 5,000 runs beside a writer rolling 64 KiB
            // segments. (The tail of a segment a writer rolled to and died
            // before publishing goes unjudged too; recovery cuts it anyway.)
            if let head, head.activeBase == base, isLast || file.mayBeWritten {
                input.publishedEnd = max(0, min(region.length, Int(clamping: head.committedPosition)))
                input.publishedNextOffset = head.nextOffset
                input.offsetIndexEntries = Int(head.offsetIndexEntries)
                input.timeIndexEntries = Int(head.timeIndexEntries)
            } else if let head, file.mayBeWritten, base > head.activeBase {
                input.publishedEnd = 0
            }
            // A missing index file is nil, not empty.
            var check = (offsetIndex ?? []).withUnsafeBytes { offsetBytes in
                (timeIndex ?? []).withUnsafeBytes { timeBytes in
                    input.offsetIndex = offsetIndex == nil ? nil : offsetBytes
                    input.timeIndex = timeIndex == nil ? nil : timeBytes
                    return SegmentCheck.check(input)
                }
            }
            // Compaction replaces a segment's indexes, then its .log, each by
            // a rename (SegmentSwap): a check across a replacement may pair
            // the bytes of one version with the indexes of the other. What
            // it says of the indexes is then moot (the replacement's were
            // built from its bytes); the batches were checked all the same.
            if !writerExcluded && file.replaced(since: indexes, directory: directory) {
                check.problems.removeAll { $0.file != file.path }
                check.indexNeedsRebuild = false
            }
            segments.append(
                InspectedSegment(base: base, logPath: file.path, fileSize: region.length, check: check))
            previousNext = judgedWithNeighbours ? check.nextOffset : nil
            bytesDone += file.length
            progress?(bytesDone, bytesTotal)
        }
        withExtendedLifetime(files) {}
        return Inspection(segments: segments, strangers: strangers, head: head)
    }

    /// The .log at `path` opened read-only, with its status; nil once it
    /// no longer exists.
    private static func openLog(_ path: String) throws(EventLogError) -> (file: FileHandle, status: stat)? {
        let log: FileHandle
        do { log = try FileHandle.open(path, flags: O_RDONLY) } catch  where error.code == .notFound { return nil }
        return (log, try log.status())
    }

    /// A segment's .log as first mapped, and what was read with it.
    private struct MappedSegment {
        var base: Int64
        var path: String
        var identity: FileIdentity
        /// The mapping, kept for a segment a writer may be writing (its
        /// tail was copied as it was when its indexes were read); nil for a
        /// closed segment, mapped again for its check (`mapAgain`).
        var region: MappedRegion?
        /// The bytes first mapped.
        var length: Int
        var fingerprint: SegmentIdentity.Fingerprint
        /// A compaction was replacing it when it was mapped (or one was
        /// interrupted): it may overlap the segments listed after it.
        var replacing: Bool
        /// Its indexes, when read before its bytes (a segment being written).
        var indexes: SegmentIndexes?

        /// Whether its path still names the file mapped.
        var isStillAtPath: Bool { FileSystem.identity(of: path) == identity }

        /// The file its path names now, mapped whole, and whether it is
        /// another file than the one first mapped; nil once deleted.
        func mapAgain() throws(EventLogError) -> (region: MappedRegion, isNewFile: Bool)? {
            guard let (log, status) = try openLog(path) else { return nil }
            return (try log.map(length: Int(status.st_size), writable: false), FileIdentity(status) != identity)
        }

        /// Whether a writer may have been writing it while it was read.
        var mayBeWritten: Bool { indexes != nil }

        /// Whether a compaction replaced the segment since its .log was
        /// mapped and `indexes` were read, or is replacing it: between its
        /// renames of the indexes and of the .log, nothing else tells.
        func replaced(since indexes: SegmentIndexes, directory: String) -> Bool {
            replacing || !isStillAtPath || indexes.replaced
                || SegmentSwap.isReplacing(directory: directory, base: base)
        }
    }

    /// A segment's .index and .timeindex as read (nil: missing), and which
    /// files they were read from.
    private struct SegmentIndexes {
        var offset: [UInt8]?
        var time: [UInt8]?
        private var paths: [String]
        private var identities: [FileIdentity?]

        init(directory: String, base: Int64) throws(EventLogError) {
            paths = [SegmentFileKind.offsetIndex, .timeIndex].map {
                SegmentFileName.path(directory: directory, base: base, $0)
            }
            let read = [try FileSystem.readFileAndIdentity(paths[0]), try FileSystem.readFileAndIdentity(paths[1])]
            (offset, time) = (read[0]?.bytes, read[1]?.bytes)
            identities = read.map { $0?.identity }
        }

        /// Whether either index file was replaced since it was read.
        var replaced: Bool { zip(paths, identities).contains { FileSystem.identity(of: $0) != $1 } }
    }

    /// Named cursor files whose checksum or size is wrong.
    private static func cursorProblems(directory: String) -> [VerificationProblem] {
        let folder = directory + "/" + CursorStore.directoryName
        guard FileSystem.isDirectory(folder), let names = try? FileSystem.listDirectory(folder) else { return [] }
        var problems: [VerificationProblem] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            do { _ = try CursorStore.load(directory: directory, name: name) } catch {
                let path = folder + "/" + name
                if error.code == .corrupt {
                    let detail =
                        error.message.hasPrefix(path + ": ")
                        ? String(error.message.dropFirst(path.count + 2)) : error.message
                    problems.append(VerificationProblem(file: path, position: 0, detail: detail))
                }
            }
        }
        return problems
    }
}
