// SPDX-License-Identifier: Apache-2.0
// What `recover` will do, decided from an inspection before anything
// changes (Repair applies it; a dry run only reports it). By default every
// batch that validates and whose offsets are sound stays where it is:
// damaged byte ranges are copied into the quarantine folder and removed
// from their segment, which leaves a gap in the offsets as compaction does;
// only the torn tail of the last segment (where a writer stopped) is cut
// without a copy; strangers (SegmentIdentity) are moved into the quarantine
// folder whole. `truncateAfterDamage` is Kafka's recovery instead: cut at
// the first damage and delete every later segment. Layout: Docs/FORMAT.md §10.
internal import EventLogFormat

package struct RecoveryPlan: Sendable {
    package enum Mode: Sendable {
        case keepIntact
        case truncateAfterDamage
    }

    /// Bytes taken out of a segment.
    package struct Removal: Equatable, Sendable {
        package var file: String
        package var base: Int64
        /// The bytes, and what the header of the first batch there claims.
        package var range: SegmentCheck.DamagedRange
        /// Where the bytes are copied first; nil when they are only cut
        /// (a torn tail, or what `truncateAfterDamage` cuts).
        package var quarantine: String?
    }

    package struct MovedFile: Equatable, Sendable {
        package var stranger: StrangerFile
        package var destination: String
    }

    package static let quarantineFolder = "quarantine"

    package let mode: Mode
    package internal(set) var strangers: [MovedFile] = []
    package internal(set) var removals: [Removal] = []
    /// Segments deleted whole (only by `truncateAfterDamage`).
    package internal(set) var deletedSegments: [Int64] = []
    /// Segments whose .index and .timeindex are rebuilt.
    package internal(set) var indexRebuilds: [Int64] = []
    /// Records of the valid batches that stay.
    package internal(set) var recordsKept = 0
    /// Records of the batches removed: exact for valid batches, as far as
    /// their headers tell for damaged ones.
    package internal(set) var recordsDropped = 0
    /// Bytes removed from segments, deleted segments included.
    package internal(set) var bytesRemoved = 0
    /// The offset the next record appended will get.
    package internal(set) var nextOffset: Int64 = 0
    /// What was wrong before, as verify reports it.
    package internal(set) var problems: [VerificationProblem] = []

    /// The segments that stay, with their sizes before the plan is applied.
    var segments: [Verifier.InspectedSegment] = []
    var head: HeadState?
    /// Quarantine names this plan gives out.
    private var taken = Set<String>()

    init(_ inspection: Verifier.Inspection, directory: String, mode: Mode) {
        self.mode = mode
        head = inspection.head
        segments = inspection.segments
        problems = inspection.problems
        for stranger in inspection.strangers {
            let name = stranger.path.split(separator: "/").last.map(String.init) ?? stranger.path
            strangers.append(MovedFile(stranger: stranger, destination: freeName(name, directory)))
        }
        switch mode {
        case .keepIntact: planKeepingIntact(directory: directory)
        case .truncateAfterDamage: planTruncation()
        }
        indexRebuilds = segments.filter { s in
            s.check.indexNeedsRebuild || removals.contains { $0.base == s.base }
        }.map(\.base)
        nextOffset = segments.last?.check.nextOffset ?? 0
    }

    private mutating func planKeepingIntact(directory: String) {
        for segment in segments {
            recordsKept += segment.check.records
            for damage in segment.check.damage {
                let name = "\(SegmentFileName.name(base: segment.base, .log)).\(damage.start).bin"
                let side = damage.isTornTail ? nil : freeName(name, directory)
                removals.append(Removal(file: segment.logPath, base: segment.base, range: damage, quarantine: side))
                recordsDropped += damage.claimedRecords
                bytesRemoved += damage.end - damage.start
            }
        }
    }

    private mutating func planTruncation() {
        guard let damaged = segments.firstIndex(where: { $0.check.cutPosition != nil }) else {
            recordsKept = segments.reduce(0) { $0 + $1.check.records }
            return
        }
        let segment = segments[damaged]
        // The cut is where the first damaged range starts.
        var first = segment.check.damage[0]
        let cut = first.start
        first.end = segment.fileSize
        first.reason += "; cut with everything after it"
        removals = [Removal(file: segment.logPath, base: segment.base, range: first, quarantine: nil)]
        let later = segments[(damaged + 1)...]
        recordsDropped =
            segment.check.recordsAfterCut + later.reduce(0) { $0 + $1.check.records + $1.check.recordsInDamage }
        bytesRemoved = segment.fileSize - cut + later.reduce(0) { $0 + $1.fileSize }
        recordsKept =
            segments[..<damaged].reduce(0) { $0 + $1.check.records } + segment.check.records
            - (segment.check.recordsAfterCut - segment.check.recordsInDamage)
        deletedSegments = later.map(\.base)
        segments.removeSubrange((damaged + 1)...)
        segments[damaged].check.nextOffset = segment.check.nextOffsetAtCut
    }

    /// `quarantine/<name>`, or `<name>.1`, `.2`, ... when taken (by this
    /// plan, or by an earlier recover: quarantined bytes are never replaced).
    private mutating func freeName(_ name: String, _ directory: String) -> String {
        var candidate = "\(directory)/\(Self.quarantineFolder)/\(name)"
        var n = 0
        // Anything with the name takes it, even a dangling link.
        while taken.contains(candidate) || (try? FileSystem.status(of: candidate, followingLinks: false)) != nil {
            n += 1
            candidate = "\(directory)/\(Self.quarantineFolder)/\(name).\(n)"
        }
        taken.insert(candidate)
        return candidate
    }
}
