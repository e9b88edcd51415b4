// SPDX-License-Identifier: Apache-2.0
// The key-to-latest-offset pass of a compaction as a map/reduce over its
// segments: each worker thread (the calling thread is one) takes the next
// segment, checks and decodes its batches with a reader of its own and
// puts its keys into a map of its own (map); the maps are then merged into
// the plan's, keeping the larger offset of a key (reduce). A key's latest
// offset is the largest offset any segment holds for it, so the result is
// the map one thread builds going through the segments in order; damage is
// reported for the first damaged segment in offset order, as then.
//
// Memory: each worker's map holds the distinct keys of the segments it
// read, so the peak is up to one map per worker before the merge (with
// keys spread over every segment, about `workers` times a single map).
// Under a budget each worker's map gets an equal part of it, and the first
// map to fill ends the pass (KeyOffsetMap.overflowed).
internal import EventLogFormat
import Glibc
import Synchronization

enum CompactionKeyMapping {
    typealias Segment = (file: FileHandle, limit: Int, closed: Bool)

    /// Maps the keys of `segments` into `keys` on up to `workers` threads;
    /// returns the records of the closed segments. `progress` is called
    /// with bytes done and total, from one thread at a time.
    static func run(
        _ segments: [Segment], into keys: KeyOffsetMap, workers: Int, progress: (Int, Int) -> Void
    ) throws(EventLogError) -> Int {
        let job = Job(segments)
        let count = max(1, min(workers, segments.count))
        // Without a budget the calling thread fills `keys` itself; under one
        // it fills a part-sized map like the others, merged at the end.
        let limited = keys.limitBytes != Int.max
        let share = limited ? keys.limitBytes / (count + 1) : Int.max
        let own = limited ? keys.sibling(limitBytes: share) : keys
        var maps = [own]
        withoutActuallyEscaping(progress) { progress in
            // Set before any worker starts, cleared after every one ended.
            job.progress = progress
            var threads: [pthread_t] = []
            for _ in 1..<count {
                let map = keys.sibling(limitBytes: share)
                guard let thread = try? startThread({ job.work(into: map) }) else { break }
                maps.append(map)
                threads.append(thread)
            }
            job.work(into: own)
            for thread in threads { pthread_join(thread, nil) }
            job.progress = nil
        }
        // Each map is released once merged, so the maps together stay within the budget.
        while let map = maps.popLast() {
            if map !== keys && !keys.overflowed { keys.merge(map) }
        }
        if keys.overflowed { return 0 }
        var records = 0
        for (segment, outcome) in zip(segments, job.outcomes) {
            switch outcome.result {
            case .failure(let error): throw error
            case .success(let count): if segment.closed { records += count }
            case nil: break
            }
        }
        return records
    }

    /// What one segment gave: its closed records, or why it failed.
    private final class Outcome: @unchecked Sendable {
        var result: Result<Int, EventLogError>?
    }

    private final class Job: @unchecked Sendable {
        let segments: [Segment]
        let outcomes: [Outcome]
        let total: Int
        private let next = Atomic<Int>(0)
        private let lock = Lock()
        private var done = 0
        /// Set while the workers run; called under `lock`.
        var progress: ((Int, Int) -> Void)?

        init(_ segments: [Segment]) {
            self.segments = segments
            outcomes = segments.map { _ in Outcome() }
            total = segments.reduce(0) { $0 + $1.limit }
        }

        func work(into keys: KeyOffsetMap) {
            let reader = SegmentBatchReader()
            // A full map ends the pass: the compaction starts again with
            // smaller shares of the keys.
            while !keys.overflowed {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < segments.count else { return }
                let segment = segments[index]
                do {
                    outcomes[index].result = .success(try map(segment, reader: reader, into: keys))
                } catch {
                    outcomes[index].result = .failure(error)
                }
                lock.withLock {
                    done += segment.limit
                    progress?(done, total)
                }
            }
        }

        private func map(_ segment: Segment, reader: SegmentBatchReader, into keys: KeyOffsetMap)
            throws(EventLogError) -> Int
        {
            let region = try segment.file.map(length: segment.limit, writable: false)
            let bytes = region.bytes(0..<segment.limit)
            let (scan, records) = try reader.forEachBatch(bytes, file: segment.file.path) { _ in
                keys.put(keysOf: reader.records)
            }
            guard segment.closed, scan.damage != nil || scan.validEnd < segment.limit else { return records }
            let torn = FormatError(
                kind: .truncated, position: scan.validEnd,
                detail: "a closed segment ends in \(segment.limit - scan.validEnd) bytes that are not a whole batch")
            throw EventLogError.corrupt(file: segment.file.path, at: 0, scan.damage ?? torn)
        }
    }
}
