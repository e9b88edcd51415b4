// SPDX-License-Identifier: Apache-2.0
// Replacing closed segments by a compacted one so that a crash at any point
// leaves a log holding every record, and finishing (or undoing) a
// replacement that a crash interrupted. Docs/FORMAT.md §12 is normative.
//
// A replacement of the segments whose bases lie in [G, next) by one segment
// G, written as `G.log.cleaned`, `G.index.cleaned`, `G.timeindex.cleaned`:
//   1. the cleaned files are complete and fdatasync'ed (Compactor);
//   2. commit: rename the two indexes, then the log, from .cleaned to .swap;
//      fsync the directory. `G.log.swap` existing is the commit point;
//   3. complete: rename the index swaps over G's indexes; give the log swap a
//      second name, `G.log.replacing` (a hard link), and rename that over
//      `G.log`, so G is replaced atomically while `G.log.swap` stays as the
//      marker; fsync; delete the replaced segments, those with bases in
//      (G, end of the swap's last batch); fsync; unlink the marker.
// Readers never miss a record: G is replaced in one rename, and until the
// later segments are deleted they merely overlap G (cursors skip offsets
// they have passed). Recovery, at every writable open and before every
// compaction and retention: delete `*.cleaned`, `*.replacing` and index
// swaps without a log swap; complete every `*.log.swap`.
internal import EventLogFormat
import Glibc

package enum SegmentSwap {
    static let cleanedSuffix = ".cleaned"
    static let swapSuffix = ".swap"
    static let replacingSuffix = ".replacing"

    static func path(_ directory: String, _ base: Int64, _ kind: SegmentFileKind, _ suffix: String = "") -> String {
        SegmentFileName.path(directory: directory, base: base, kind) + suffix
    }

    /// Finishes or undoes what an interrupted compaction left (see above).
    /// Call it from a writable open. It takes the maintenance lock without
    /// waiting: if compaction or retention runs now, the files are theirs
    /// and nothing is done. Returns the number of replacements completed.
    @discardableResult
    package static func recoverInterrupted(directory: String, mode: mode_t = 0o644) throws(EventLogError) -> Int {
        guard let lock = try MaintenanceLock.acquire(directory: directory, wait: false, mode: mode) else { return 0 }
        defer { withExtendedLifetime(lock) {} }
        return try recover(directory: directory, head: HeadFile.openForReader(directory: directory)).completed
    }

    /// Whether segment `base` is being replaced right now (or the replacement
    /// was interrupted): it may then overlap the segments listed after it.
    package static func isReplacing(directory: String, base: Int64) -> Bool {
        FileSystem.exists(path(directory, base, .log, swapSuffix))
    }

    /// Recovery proper; the caller holds the maintenance lock. `stuck` lists
    /// the swaps left alone because the compacted segment already in place
    /// is damaged (media damage: it was synced before the commit).
    static func recover(directory: String, head: HeadFile?) throws(EventLogError) -> (completed: Int, stuck: [Int64]) {
        let names = try FileSystem.listDirectory(directory)
        var committed: [Int64] = []
        for name in names {
            if name.hasSuffix(cleanedSuffix) || name.hasSuffix(replacingSuffix) {
                try FileSystem.remove(directory + "/" + name)
            } else if name.hasSuffix(swapSuffix),
                let base = SegmentFileName.parse(String(name.dropLast(swapSuffix.count)), .log)
            {
                committed.append(base)
            }
        }
        for name in names where name.hasSuffix(swapSuffix) {
            let stem = String(name.dropLast(swapSuffix.count))
            let base = SegmentFileName.parse(stem, .offsetIndex) ?? SegmentFileName.parse(stem, .timeIndex)
            if let base, !committed.contains(base) { try FileSystem.remove(directory + "/" + name) }
        }
        var stuck: [Int64] = []
        for base in committed.sorted() where try complete(directory: directory, base: base, head: head) == nil {
            stuck.append(base)
        }
        return (committed.count - stuck.count, stuck)
    }

    /// Step 2: the cleaned files of `base` become its swap. The log goes
    /// last, because its swap is the commit point.
    static func commit(directory: String, base: Int64) throws(EventLogError) {
        for kind in [SegmentFileKind.offsetIndex, .timeIndex, .log] {
            try FileSystem.rename(path(directory, base, kind, cleanedSuffix), path(directory, base, kind, swapSuffix))
        }
        try FileSystem.syncDirectory(directory)
    }

    /// Step 3: puts the swap of `base` in place and deletes the segments it
    /// replaces. Idempotent, so recovery can run it again after a crash at
    /// any point of it. Returns the bases of the segments deleted; nil if it
    /// left everything as it was because the swap is damaged and already
    /// in place (the replaced segments may still hold what the damage hides).
    @discardableResult
    static func complete(directory: String, base: Int64, head: HeadFile?) throws(EventLogError) -> [Int64]? {
        let swapLog = path(directory, base, .log, swapSuffix)
        let finalLog = path(directory, base, .log)
        let inPlace = FileSystem.identity(of: swapLog).map { $0 == FileSystem.identity(of: finalLog) } ?? false
        guard let end = try replacedEnd(swapLog: swapLog) else {
            // A damaged swap (the media, not a crash: it was synced before
            // the commit) must not replace an intact segment.
            guard inPlace else {
                for kind in SegmentFileKind.allCases { try FileSystem.remove(path(directory, base, kind, swapSuffix)) }
                return []
            }
            return nil
        }
        for kind in [SegmentFileKind.offsetIndex, .timeIndex]
        where FileSystem.exists(path(directory, base, kind, swapSuffix)) {
            try FileSystem.rename(path(directory, base, kind, swapSuffix), path(directory, base, kind))
        }
        if !inPlace {
            let replacing = path(directory, base, .log, replacingSuffix)
            try FileSystem.remove(replacing)
            try FileSystem.link(swapLog, replacing)
            try FileSystem.rename(replacing, finalLog)
        }
        try FileSystem.syncDirectory(directory)
        head?.noteSegmentsChanged()
        let replaced = try SegmentCatalog.listBases(directory: directory).filter { $0 > base && $0 < end }
        for old in replaced { try removeSegment(directory: directory, base: old) }
        try FileSystem.syncDirectory(directory)
        try FileSystem.remove(swapLog)
        head?.noteSegmentsChanged()
        return replaced
    }

    /// Deletes one segment's files: the indexes first, so that a crash never
    /// leaves an index without its log (a log without indexes is valid).
    static func removeSegment(directory: String, base: Int64) throws(EventLogError) {
        for kind in [SegmentFileKind.offsetIndex, .timeIndex, .log] {
            try FileSystem.remove(path(directory, base, kind))
        }
    }

    /// The offset after the swap's last batch: segments based below it (and
    /// above the swap's base) are the ones it replaces. Nil if the swap does
    /// not validate to its end.
    private static func replacedEnd(swapLog: String) throws(EventLogError) -> Int64? {
        let region = try FileHandle.open(swapLog, flags: O_RDONLY).mapAll()
        let outcome = BatchScanner.scan(region.all, from: 0, limit: region.length)
        return outcome.validEnd == region.length ? outcome.nextOffset ?? 0 : nil
    }
}

extension FileSystem {
    /// link(2): a second name for a file. Fault-injected as a rename.
    static func link(_ existing: String, _ new: String) throws(EventLogError) {
        try FaultInjection.check(.rename, new)
        guard Glibc.link(existing, new) == 0 else { throw .system("link to \(existing)", path: new, errno: errno) }
    }
}
