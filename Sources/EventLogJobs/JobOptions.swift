// SPDX-License-Identifier: Apache-2.0
// How a batch job runs, and what it reports about its run.
import EventLog

public struct JobOptions: Sendable {
    /// Map tasks that run at once; the default is one per core online.
    public var workers: Int
    /// Partitions the shuffle makes, each reduced by a task of its own;
    /// the default is one per core online.
    public var reducers: Int
    /// About how many bytes of segment one map task reads; 0 cuts the
    /// range into about eight pieces per worker, of 1 MiB at least.
    public var pieceBytes: Int
    /// Called after each piece is mapped, from the job's own task.
    public var progress: (@Sendable (JobProgress) -> Void)?

    public init(
        workers: Int = JobOptions.onlineCores, reducers: Int = JobOptions.onlineCores, pieceBytes: Int = 0,
        progress: (@Sendable (JobProgress) -> Void)? = nil
    ) {
        self.workers = workers
        self.reducers = reducers
        self.pieceBytes = pieceBytes
        self.progress = progress
    }

    /// The cores this process may run on.
    public static var onlineCores: Int { EventLog.onlineCores }

    @usableFromInline func checked() throws(EventLogError) -> JobOptions {
        guard workers >= 1 else { throw EventLogError(.invalidArgument, "workers: \(workers) is below 1") }
        guard reducers >= 1 else { throw EventLogError(.invalidArgument, "reducers: \(reducers) is below 1") }
        guard pieceBytes >= 0 else { throw EventLogError(.invalidArgument, "pieceBytes: \(pieceBytes) is negative") }
        return self
    }
}

public struct JobProgress: Sendable {
    /// Bytes of segment mapped so far, of `totalBytes`.
    public var doneBytes: Int
    public var totalBytes: Int
    public var records: Int

    public init(doneBytes: Int, totalBytes: Int, records: Int) {
        self.doneBytes = doneBytes
        self.totalBytes = totalBytes
        self.records = records
    }
}

public struct JobSummary: Sendable, Equatable {
    /// The offsets the job covered: the range asked for, clamped to what
    /// the log held when the job started.
    public var offsets: Range<UInt64> = 0..<0
    public var records = 0
    /// Pairs the map function emitted.
    public var pairs = 0
    public var batches = 0
    /// The batches read, as stored (compressed) and decompressed.
    public var storedBytes = 0
    public var decodedBytes = 0
    public var pieces = 0

    public init() {}
}

/// A job's result per key, with what the job read.
public struct MapReduceResult<Key: Hashable & Sendable, Result: Sendable>: Sendable {
    public var results: [Key: Result]
    public var summary: JobSummary

    public init(results: [Key: Result], summary: JobSummary) {
        self.results = results
        self.summary = summary
    }
}
