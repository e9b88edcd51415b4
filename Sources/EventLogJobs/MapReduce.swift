// SPDX-License-Identifier: Apache-2.0
// MapReduce over a log, with structured concurrency: the range is cut into
// pieces at indexed batch starts (ScanPlan); map tasks, at most `workers`
// at once, each decode one piece with a decoder of their own and fold the
// pairs their map function emits into per-partition partial results
// (Emitter); the shuffle hands partition p of every piece, in offset
// order, to reduce task p. Values reach a reducer in offset order, so a
// job gives the same result as a sequential loop over a cursor. Decoding
// mapped segments is CPU work, so the tasks hold their threads of the
// cooperative pool only for a piece each; cancellation is checked between
// batches.
import EventLog
internal import EventLogFormat
package import EventLogStorage

extension EventLog {
    /// Maps every record of `range` to zero or more (key, value) pairs and
    /// reduces the values of each key, in offset order, to a result.
    @inlinable public func mapReduce<Key: Hashable & Sendable, Value: Sendable, Result: Sendable>(
        _ range: JobRange = .all, options: JobOptions = JobOptions(),
        map: @escaping @Sendable (JobRecord, Emitter<Key, Value>) throws -> Void,
        reduce: @escaping @Sendable (Key, [Value]) throws -> Result
    ) async throws -> MapReduceResult<Key, Result> {
        try await runJob(
            range, options: options, initial: [Value](), map: map, fold: { $0.append($1) },
            merge: { $0.append(contentsOf: $1) }, finish: reduce)
    }

    /// Maps every record of `range` to zero or more (key, value) pairs and
    /// folds the values of each key into an accumulator, starting from
    /// `initial`: `fold` adds a value, `merge` adds the accumulator of a
    /// later piece. Folding on the map side keeps memory in proportion to
    /// the distinct keys (Spark's reduceByKey, Kafka Streams' aggregate).
    @inlinable public func aggregate<Key: Hashable & Sendable, Value, Accumulator: Sendable>(
        _ range: JobRange = .all, options: JobOptions = JobOptions(), initial: Accumulator,
        map: @escaping @Sendable (JobRecord, Emitter<Key, Value>) throws -> Void,
        fold: @escaping @Sendable (inout Accumulator, Value) -> Void,
        merge: @escaping @Sendable (inout Accumulator, Accumulator) -> Void
    ) async throws -> MapReduceResult<Key, Accumulator> {
        try await runJob(range, options: options, initial: initial, map: map, fold: fold, merge: merge) { $1 }
    }

    @inlinable func runJob<Key: Hashable & Sendable, Value, Accumulator: Sendable, Result: Sendable>(
        _ range: JobRange, options unchecked: JobOptions, initial: Accumulator,
        map: @escaping @Sendable (JobRecord, Emitter<Key, Value>) throws -> Void,
        fold: @escaping @Sendable (inout Accumulator, Value) -> Void,
        merge: @escaping @Sendable (inout Accumulator, Accumulator) -> Void,
        finish: @escaping @Sendable (Key, Accumulator) throws -> Result
    ) async throws -> MapReduceResult<Key, Result> {
        let options = try unchecked.checked()
        let (from, to) = try range.offsets(in: self)
        let plan = try scanPlan(from: from, to: to, workers: options.workers, pieceBytes: options.pieceBytes)
        let mapped = try await MapPhase.run(plan, options: options, initial: initial, map: map, fold: fold)
        var summary = JobSummary()
        summary.offsets = UInt64(plan.offsets.lowerBound)..<UInt64(plan.offsets.upperBound)
        summary.pieces = plan.pieces.count
        for output in mapped { summary.add(output) }
        let results = try await ReducePhase.run(
            mapped, reducers: options.reducers, initial: initial, merge: merge, finish: finish)
        return MapReduceResult(results: results, summary: summary)
    }
}

/// What one map task hands the shuffle: its piece's partial results by
/// partition, and what it read.
@usableFromInline struct PieceOutput<Key: Hashable & Sendable, Accumulator: Sendable>: Sendable {
    @usableFromInline var ordinal: Int
    @usableFromInline var partitions: [[Key: Accumulator]]
    @usableFromInline var pairs: Int
    @usableFromInline var read: PieceReading.Counts
    /// Bytes of segment the piece covers.
    @usableFromInline var bytes: Int

    @inlinable init(
        ordinal: Int, partitions: [[Key: Accumulator]], pairs: Int, read: PieceReading.Counts, bytes: Int
    ) {
        self.ordinal = ordinal
        self.partitions = partitions
        self.pairs = pairs
        self.read = read
        self.bytes = bytes
    }
}

extension JobSummary {
    @inlinable mutating func add<Key, Accumulator>(_ output: PieceOutput<Key, Accumulator>) {
        records += output.read.records
        pairs += output.pairs
        batches += output.read.batches
        storedBytes += output.read.storedBytes
        decodedBytes += output.read.decodedBytes
    }
}

@usableFromInline enum MapPhase {
    /// Maps every piece, at most `options.workers` at once; the outputs in
    /// piece order.
    @inlinable static func run<Key: Hashable & Sendable, Value, Accumulator: Sendable>(
        _ plan: ScanPlan, options: JobOptions, initial: Accumulator,
        map: @escaping @Sendable (JobRecord, Emitter<Key, Value>) throws -> Void,
        fold: @escaping @Sendable (inout Accumulator, Value) -> Void
    ) async throws -> [PieceOutput<Key, Accumulator>] {
        let reducers = options.reducers
        return try await withThrowingTaskGroup(of: PieceOutput<Key, Accumulator>.self) { group in
            var outputs: [PieceOutput<Key, Accumulator>?] = Array(repeating: nil, count: plan.pieces.count)
            var next = 0
            var done = 0
            var progress = JobProgress(doneBytes: 0, totalBytes: plan.bytes, records: 0)
            while next < plan.pieces.count || done < next {
                if next < plan.pieces.count && next - done < options.workers {
                    let piece = plan.pieces[next]
                    group.addTask {
                        let table = PartialTable<Key, Accumulator>(partitions: reducers)
                        let emitter = Emitter<Key, Value> { key, value in
                            table.add(key, value, initial: initial, fold: fold)
                        }
                        let read = try PieceReading.read(piece) { record in try map(record, emitter) }
                        return PieceOutput(
                            ordinal: piece.ordinal, partitions: table.partitions, pairs: table.pairs, read: read,
                            bytes: piece.end - piece.start)
                    }
                    next += 1
                    continue
                }
                guard let output = try await group.next() else { break }
                done += 1
                progress.doneBytes += output.bytes
                progress.records += output.read.records
                options.progress?(progress)
                outputs[output.ordinal] = output
            }
            return outputs.map { $0! }
        }
    }
}

/// Decoding a piece for a map task, outside the engine's generic code:
/// the records are lent one at a time, valid during the call.
@usableFromInline enum PieceReading {
    @usableFromInline struct Counts: Sendable {
        @usableFromInline var records = 0
        @usableFromInline var batches = 0
        @usableFromInline var storedBytes = 0
        @usableFromInline var decodedBytes = 0
    }

    /// Throws CancellationError if the task is cancelled before the piece
    /// is done (checked between batches).
    @usableFromInline static func read(_ piece: ScanPiece, _ body: (JobRecord) throws -> Void) throws -> Counts {
        let decoder = PieceDecoder()
        var counts = Counts()
        let finished = try decoder.decode(piece, shouldStop: { Task.isCancelled }) { batch, headers in
            for view in batch { try body(JobRecord(view, headers: headers)) }
            counts.records += batch.count
            return true
        }
        if !finished || Task.isCancelled { throw CancellationError() }
        counts.batches = decoder.batches
        counts.storedBytes = decoder.storedBytes
        counts.decodedBytes = decoder.decodedBytes
        return counts
    }
}

@usableFromInline enum ReducePhase {
    /// Reduces each partition in a task of its own: the partial results of
    /// every piece, merged in piece (so offset) order, then finished.
    @inlinable static func run<Key: Hashable & Sendable, Accumulator: Sendable, Result: Sendable>(
        _ mapped: [PieceOutput<Key, Accumulator>], reducers: Int, initial: Accumulator,
        merge: @escaping @Sendable (inout Accumulator, Accumulator) -> Void,
        finish: @escaping @Sendable (Key, Accumulator) throws -> Result
    ) async throws -> [Key: Result] {
        try await withThrowingTaskGroup(of: [Key: Result].self) { group in
            for partition in 0..<reducers {
                group.addTask {
                    var merged: [Key: Accumulator] = [:]
                    for output in mapped {
                        try Task.checkCancellation()
                        let partial = output.partitions[partition]
                        if merged.isEmpty {
                            merged = partial
                            continue
                        }
                        for (key, accumulator) in partial {
                            merge(&merged[key, default: initial], accumulator)
                        }
                    }
                    var results = [Key: Result](minimumCapacity: merged.count)
                    for (key, accumulator) in merged { results[key] = try finish(key, accumulator) }
                    return results
                }
            }
            var all: [Key: Result] = [:]
            while let part = try await group.next() {
                if all.isEmpty { all = part } else { all.merge(part) { first, _ in first } }
            }
            return all
        }
    }
}
