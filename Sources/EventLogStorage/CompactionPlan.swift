// SPDX-License-Identifier: Apache-2.0
// What a compaction works from, fixed before it rewrites anything: the
// closed segments it examines (every segment but the last, as listed when
// it starts; segments a writer adds later are not touched), and the active
// segment up to what its writer had published, whose keys make older
// records obsolete (Docs/FORMAT.md §12: a record is obsolete if its key
// appears again at a later offset).
internal import EventLogFormat
import Glibc

struct CompactionPlan {
    typealias Segment = (base: Int64, size: Int, nextBase: Int64)

    /// The closed segments, oldest first: each one's base, `.log` size, and
    /// the base of the segment after it (every offset it holds is below).
    var closed: [Segment] = []
    /// The largest `.log` in the directory (the active one included).
    var largestSegment = 0
    /// The active segment and the bytes its writer had published (a file
    /// the writer may still trim is read no further); nil without a writer's head.
    var active: (base: Int64, size: Int)?

    /// Lists the segments and decides which are closed. The active segment
    /// is synced when `syncActive`: a record it holds may make older ones
    /// obsolete, and must not be lost to a power cut after those are gone.
    /// Segments rolled since the head was read, and the last segment of a
    /// directory without a writer's head, are left out: their records are
    /// newer than every closed one, so leaving them out only keeps more.
    static func build(directory: String, head: HeadFile?, syncActive: Bool) throws(EventLogError) -> CompactionPlan {
        var plan = CompactionPlan()
        let published = head?.published
        let bases = try SegmentCatalog.listBases(directory: directory)
        for (i, base) in bases.enumerated() {
            let isActive = published?.activeBase == base
            let isClosed = i + 1 < bases.count && (published == nil || base < published!.activeBase)
            guard isClosed || isActive else { continue }
            let file = try FileHandle.open(
                SegmentFileName.path(directory: directory, base: base, .log), flags: O_RDONLY)
            var limit = try file.size()
            if isActive {
                // Preallocated beyond its data: the data is what was published.
                limit = min(limit, Int(max(0, published!.committedPosition)))
                if syncActive { try file.syncData() }
                plan.active = (base, limit)
            } else {
                plan.closed.append((base, limit, bases[i + 1]))
            }
            plan.largestSegment = max(plan.largestSegment, limit)
        }
        return plan
    }
}
