// SPDX-License-Identifier: Apache-2.0
// Running a scan plan on N plain threads: each worker has its own
// PieceDecoder (its own LZ4 state and buffers), takes the next piece in
// offset order from a shared counter until none is left, and lends the
// records of each batch to the visitor with its worker index, so a caller
// keeps per-worker state without locks. The calling thread is worker 0.
// The first error, or the first non-zero answer of the visitor, stops
// every worker before its next batch.
package import EventLogFormat
import Glibc
import Synchronization

package struct ScanSummary: Sendable, Equatable {
    package var records = 0
    package var batches = 0
    /// Batches as stored (compressed) and their records sections decoded.
    package var storedBytes = 0
    package var decodedBytes = 0
    package var pieces = 0
    package var workers = 0
    /// The scan covered the offsets below this one.
    package var endOffset: Int64 = 0

    mutating func add(_ decoder: PieceDecoder, records: Int) {
        self.records += records
        batches += decoder.batches
        storedBytes += decoder.storedBytes
        decodedBytes += decoder.decodedBytes
    }
}

package final class ParallelScan: @unchecked Sendable {
    /// What the visitor returns: 0 goes on, anything else stops the scan
    /// and is what `run` returns.
    package typealias Visit = (_ worker: Int, _ records: UnsafeBufferPointer<RecordView>, _ headers: [HeaderView]) ->
        Int32

    private let plan: ScanPlan
    private let visit: Visit
    private let isCancelled: () -> Bool
    private let nextPiece = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let lock = Lock()
    private var failure: EventLogError?
    private var stopCode: Int32 = 0
    private var summary = ScanSummary()

    private init(plan: ScanPlan, visit: @escaping Visit, isCancelled: @escaping () -> Bool) {
        self.plan = plan
        self.visit = visit
        self.isCancelled = isCancelled
    }

    /// Scans `plan` on `workers` threads (at most one per piece, at least
    /// one: the caller's). Returns the visitor's non-zero answer if it
    /// stopped the scan, else 0, with what was read; throws the first error.
    /// `isCancelled` is asked before each batch: true ends the scan with a
    /// `closed` error (the log was closed under it).
    package static func run(
        _ plan: ScanPlan, workers: Int, isCancelled: @escaping () -> Bool = { false }, visit: @escaping Visit
    ) throws(EventLogError) -> (code: Int32, summary: ScanSummary) {
        let scan = ParallelScan(plan: plan, visit: visit, isCancelled: isCancelled)
        let count = max(1, min(workers, plan.pieces.count))
        var threads: [pthread_t] = []
        for worker in 1..<max(1, count) {
            do { threads.append(try startThread { scan.work(worker) }) } catch {
                scan.fail(error)
                break
            }
        }
        scan.work(0)
        for thread in threads { pthread_join(thread, nil) }
        return try scan.lock.withLock { () throws(EventLogError) in
            if let failure = scan.failure { throw failure }
            scan.summary.pieces = plan.pieces.count
            scan.summary.workers = threads.count + 1
            scan.summary.endOffset = plan.offsets.upperBound
            return (scan.stopCode, scan.summary)
        }
    }

    private func work(_ worker: Int) {
        let decoder = PieceDecoder()
        var records = 0
        defer { lock.withLock { summary.add(decoder, records: records) } }
        while !stopping.load(ordering: .relaxed) {
            let index = nextPiece.add(1, ordering: .relaxed).oldValue
            guard index < plan.pieces.count else { return }
            do {
                _ = try decoder.decode(
                    plan.pieces[index], shouldStop: { stopping.load(ordering: .relaxed) || cancelledNow() }
                ) { batch, headers in
                    records += batch.count
                    let code = visit(worker, batch, headers)
                    if code != 0 { stop(code) }
                    return code == 0
                }
            } catch {
                fail(error as? EventLogError ?? EventLogError(.io, "\(error)"))
            }
        }
    }

    private func cancelledNow() -> Bool {
        guard isCancelled() else { return false }
        fail(EventLogError(.closed, "the log was closed during the scan"))
        return true
    }

    private func stop(_ code: Int32) {
        lock.withLock { if failure == nil && stopCode == 0 { stopCode = code } }
        stopping.store(true, ordering: .relaxed)
    }

    private func fail(_ error: EventLogError) {
        lock.withLock {
            // The error of the oldest piece is not always the first seen,
            // but the first seen is what stopped the others.
            if failure == nil && stopCode == 0 { failure = error }
        }
        stopping.store(true, ordering: .relaxed)
    }
}

/// The cores this process may run on: the default number of workers of
/// scans and of compaction.
package func onlineCores() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
