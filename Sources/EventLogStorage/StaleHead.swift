// SPDX-License-Identifier: Apache-2.0
// A read-only handle believes the data over the head file. A head file
// describes what the writer had published when it last ran; if the active
// segment was cut or zeroed after that (a power loss that kept the head's
// page but not the data's, a copy taken mid-write, a file truncated by
// hand), the head claims records that are not there. Readers then serve
// what the segment holds, up to its last intact batch, as the writer's
// recovery will keep it, until a writer publishes again.
internal import EventLogFormat
import Glibc

enum StaleHead {
    /// The state to read instead of `head` when the active segment holds
    /// less than `head` says; nil when the head is borne out. Checks the
    /// batches from the last published .index entry to the published end
    /// (CRC included): 4 KiB plus a batch or two, not the whole segment.
    static func readableState(in folder: DirectoryHandle, head: HeadState) -> HeadState? {
        let logName = SegmentFileName.name(base: head.activeBase, .log)
        guard head.committedPosition > 0, let log = try? folder.open(logName, flags: O_RDONLY),
            let size = try? log.size()
        else { return nil }
        let published = Int(head.committedPosition)
        let length = min(size, published)
        guard let region = try? log.map(length: length, writable: false) else { return nil }
        let bytes = region.bytes(0..<length)
        let start = lastIndexedPosition(in: folder, head: head, below: length)
        let tail = BatchScanner.scan(bytes, from: start, limit: length)
        if size >= published && tail.validEnd == published && tail.damage == nil { return nil }
        // The head is ahead of the data: find the readable end from the
        // segment's start, since the index may name lost batches too.
        let readable = BatchScanner.scan(bytes, from: 0, limit: length)
        var state = head
        state.committedPosition = Int64(readable.validEnd)
        state.nextOffset = readable.nextOffset ?? head.activeBase
        state.activeMaxTimestamp = readable.maxTimestamp
        // The indexes may point past the new end; cursors check every
        // entry they use against the segment, and fewer entries only cost
        // a longer walk.
        state.offsetIndexEntries = 0
        state.timeIndexEntries = 0
        return state
    }

    /// The position of the last published .index entry that lies inside
    /// the first `limit` bytes, or 0.
    private static func lastIndexedPosition(in folder: DirectoryHandle, head: HeadState, below limit: Int) -> Int {
        let name = SegmentFileName.name(base: head.activeBase, .offsetIndex)
        guard
            let index = try? IndexFile.openForReading(
                in: folder, name, entrySize: OffsetIndexEntry.size, count: Int(head.offsetIndexEntries))
        else { return 0 }
        for i in stride(from: index.count - 1, through: 0, by: -1) {
            let position = Int(OffsetIndexEntry(loadingFrom: index.entry(i)).position)
            if position > 0 && position < limit { return position }
        }
        return 0
    }
}
