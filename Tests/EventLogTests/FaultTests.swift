// SPDX-License-Identifier: Apache-2.0
// Resource faults: a full disk (a real 16 MiB tmpfs, and ENOSPC injected
// through the syscall layer) and I/O errors injected into allocate, sync,
// open, truncate, map, rename and remove. Each must surface as an error code,
// lose nothing already written, never duplicate a batch, and leave a log that
// works again once the fault is gone. Injection is process-wide, so every
// injector here fails only paths inside its own test's directory.
import EventLog
import EventLogStorage
import Foundation
import Glibc
import Synchronization
import Testing

/// Makes `injector` active for the duration of `body`, beside the injectors
/// of tests running in parallel.
private func withFaults<R, E: Error>(_ injector: @escaping FaultInjection.Injector, _ body: () throws(E) -> R) throws(E)
    -> R
{
    try FaultInjection.withInjector(injector, body)
}

/// Appends records from offset `first` on, flushing every 500, until three
/// appends have failed with `code`; returns the offsets accepted.
private func appendUntilThreeFailures(to log: EventLog, from first: UInt64, failingWith code: EventLogError.Code)
    -> [UInt64]
{
    var accepted: [UInt64] = []
    var next = first
    var failures = 0
    while failures < 3 && next < 100_000 {
        do throws(EventLogError) {
            #expect(try log.append(Sample.record(next)) == next)
            accepted.append(next)
            next += 1
            if next % 500 == 0 { try log.flush() }
        } catch {
            #expect(error.code == code, "\(error)")
            failures += 1
        }
    }
    #expect(failures == 3)
    return accepted
}

/// A switch a test flips while an injector that reads it is installed.
private final class Switch: Sendable {
    private let value = Atomic<Bool>(true)
    var isOn: Bool { value.load(ordering: .acquiring) }
    func off() { value.store(false, ordering: .releasing) }
}

@Suite(.serialized) struct FaultTests {
    @Test func noSpaceOnAllocateKeepsTheBatchAndRetries() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options(segmentBytes: 64 << 20))
        try Sample.append(0..<100, to: log)
        let full = Switch()
        var accepted: [UInt64] = Array(0..<100)
        try withFaults({ op, file in full.isOn && op == .allocate && file.hasPrefix(path) ? ENOSPC : nil }) {
            // The first batch written needs more of the 8 MiB preallocation.
            accepted += appendUntilThreeFailures(to: log, from: 100, failingWith: .noSpace)
            // Nothing written before is lost, and readers see what was written.
            let seen = try Reader.readAll(log)
            #expect(
                seen.wrong.isEmpty && seen.errors.isEmpty && seen.offsets == Array(accepted.prefix(seen.offsets.count)))
            #expect(throws: EventLogError.self) { try log.flush() }
            full.off()
            try log.flush()
        }
        let outcome = try Reader.readAll(log)
        #expect(outcome.offsets == accepted && outcome.wrong.isEmpty && outcome.errors.isEmpty)
        try Sample.append(UInt64(accepted.count)..<UInt64(accepted.count) + 10, to: log)
        try log.close()
        let report = try EventLog.verify(at: path)
        #expect(report.isSound && report.records == UInt64(accepted.count + 10))
    }

    /// An I/O error writing a batch into the segment is reported, the batch
    /// stays queued, and once writes work again it goes in exactly once.
    @Test func ioErrorWritingABatchKeepsItAndRetries() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options(segmentBytes: 64 << 20))
        try Sample.append(0..<100, to: log)
        let failing = Switch()
        var accepted: [UInt64] = Array(0..<100)
        let segmentWrites: FaultInjection.Injector = { op, file in
            failing.isOn && op == .write && file.hasPrefix(path) && file.hasSuffix(".log") ? EIO : nil
        }
        try withFaults(segmentWrites) {
            // Appends go on until the failed write is reported to them.
            accepted += appendUntilThreeFailures(to: log, from: 100, failingWith: .io)
            #expect(throws: EventLogError.self) { try log.sync() }
            let seen = try Reader.readAll(log)
            #expect(seen.offsets == Array(0..<100) && seen.wrong.isEmpty && seen.errors.isEmpty)
            failing.off()
            try log.flush()
        }
        try Sample.append(UInt64(accepted.count)..<UInt64(accepted.count) + 10, to: log)
        let outcome = try Reader.readAll(log)
        #expect(outcome.offsets == Array(0..<UInt64(accepted.count) + 10))
        #expect(outcome.wrong.isEmpty && outcome.errors.isEmpty)
        try log.close()
        let report = try EventLog.verify(at: path)
        #expect(report.isSound && report.records == UInt64(accepted.count + 10))
    }

    /// An fdatasync that fails after a batch was copied into the segment must
    /// not leave the batch queued: writing it again would put a second batch
    /// with the same offsets into the log.
    @Test func syncFailureNeverDuplicatesABatch() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        var options = Sample.options()
        options.syncMode = .batch
        let log = try EventLog(path: path, options: options)
        try Sample.append(0..<50, to: log)
        let failing = Switch()
        try withFaults({ op, file in
            failing.isOn && op == .sync && file.hasSuffix(".log") && file.hasPrefix(path) ? EIO : nil
        }) {
            for offset: UInt64 in 50..<60 { _ = try log.append(Sample.record(offset)) }
            #expect(throws: EventLogError.self) { try log.flush() }
            failing.off()
            try log.flush()
            try log.sync()
        }
        try Sample.append(60..<70, to: log)
        let outcome = try Reader.readAll(log)
        #expect(outcome.offsets == Array(0..<70) && outcome.wrong.isEmpty && outcome.errors.isEmpty)
        try log.close()
        let report = try EventLog.verify(at: path)
        #expect(report.isSound && report.records == 70, "\(report.problems)")
    }

    /// Concurrent syncs while fdatasync fails: a caller whose round failed
    /// gets the error, none hangs or returns success for records not yet
    /// synced, and once the disk works again every sync succeeds.
    @Test func concurrentSyncsDuringFailuresReportThemAndRecover() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options())
        let failing = Switch()
        let syncsOK = Atomic<Int>(0)
        let syncsFailed = Atomic<Int>(0)
        withFaults({ op, file in failing.isOn && op == .sync && file.hasPrefix(path) ? EIO : nil }) {
            DispatchQueue.concurrentPerform(iterations: 6) { thread in
                for i in 0..<40 {
                    if thread == 0 && i == 20 { failing.off() }
                    do {
                        _ = try log.append(key: nil, value: [UInt8(thread), UInt8(i)])
                        try log.sync()
                        _ = syncsOK.add(1, ordering: .relaxed)
                    } catch {
                        _ = syncsFailed.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        #expect(syncsFailed.load(ordering: .relaxed) > 0)
        #expect(syncsOK.load(ordering: .relaxed) > 0)
        // With the fault gone, every caller's sync succeeds again.
        DispatchQueue.concurrentPerform(iterations: 6) { thread in
            do {
                _ = try log.append(key: nil, value: [UInt8(thread)])
                try log.sync()
            } catch {
                _ = syncsFailed.add(1000, ordering: .relaxed)
            }
        }
        #expect(syncsFailed.load(ordering: .relaxed) < 1000)
        // Every record once, in order (their bytes are not Sample's).
        let outcome = try Reader.readAll(log)
        #expect(outcome.offsets == Array(0..<246) && outcome.errors.isEmpty)
        try log.close()
    }

    /// A roll that fails half way (the new .log created, its index not)
    /// must not make every later roll fail.
    @Test func failedRollIsRetried() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options(segmentBytes: 16 << 10))
        try Sample.append(0..<100, to: log)
        let segmentsBefore = Surgery.segments(path).count
        let failing = Switch()
        try withFaults({ op, file in
            failing.isOn && op == .allocate && file.hasSuffix(".timeindex") && file.hasPrefix(path) ? ENOSPC : nil
        }) {
            var failed = false
            var next: UInt64 = 100
            while !failed && next < 2000 {
                _ = try log.append(Sample.record(next))
                next += 1
                do throws(EventLogError) { try log.flush() } catch {
                    #expect(error.code == .noSpace)
                    failed = true
                }
            }
            #expect(failed)
            failing.off()
            try log.flush()
            try Sample.append(next..<next + 400, to: log)
        }
        #expect(Surgery.segments(path).count > segmentsBefore)
        let outcome = try Reader.readAll(log)
        #expect(outcome.wrong.isEmpty && outcome.errors.isEmpty && outcome.offsets == Array(0..<log.endOffset))
        try log.close()
        #expect(try EventLog.verify(at: path).isSound)
    }

    @Test func failuresDuringOpenFailCleanlyAndLoseNothing() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options())
        try Sample.append(0..<800, to: log)
        try Surgery.crashSnapshot(of: log, at: path, to: dir.child("crashed"))
        try log.close()
        let crashed = dir.child("crashed")
        for (operation, error) in [
            (FaultInjection.Operation.truncate, EIO), (.map, ENOMEM), (.allocate, ENOSPC), (.open, EACCES),
        ] {
            let code = withFaults({ op, file in
                op == operation && file.hasPrefix(crashed) && !file.hasSuffix(".lock") ? error : nil
            }) {
                do throws(EventLogError) {
                    _ = try EventLog(path: crashed, options: Sample.options())
                    return EventLogError.Code?.none
                } catch { return error.code }
            }
            #expect(code != nil, "\(operation)")
        }
        let reopened = try EventLog(path: crashed, options: Sample.options())
        #expect(reopened.endOffset == 800)
        let outcome = try Reader.readAll(reopened)
        #expect(outcome.offsets == Array(0..<800) && outcome.errors.isEmpty)
        try reopened.close()
        #expect(try EventLog.verify(at: crashed).isSound)
    }

    @Test func failedCursorCommitKeepsThePreviousPosition() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        let log = try EventLog(path: path, options: Sample.options())
        try Sample.append(0..<20, to: log)
        let cursor = try log.cursor(named: "app")
        for _ in 0..<5 { _ = try cursor.next() }
        try cursor.commit()
        for _ in 0..<5 { _ = try cursor.next() }
        for operation in [FaultInjection.Operation.rename, .write, .sync] {
            _ = withFaults({ op, file in op == operation && file.hasPrefix(path) ? ENOSPC : nil }) {
                #expect(throws: EventLogError.self) { try cursor.commit() }
            }
        }
        #expect(try log.cursor(named: "app").next()?.offset == 5)
        try cursor.commit()
        #expect(try log.cursor(named: "app").next()?.offset == 10)
        try log.close()
    }

    @Test func failedRecoverCanBeRerun() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("log")
        try Sample.writeLog(path, count: 3000)
        let segment = Surgery.segments(path)[1]
        let damaged = Surgery.batches(segment)[3]
        Surgery.flipBit(segment, byte: damaged.position + 80, bit: 1)
        for operation in [FaultInjection.Operation.rename, .write, .sync] {
            let failed = withFaults({ op, file in op == operation && file.hasPrefix(path) ? EIO : nil }) {
                do throws(EventLogError) {
                    _ = try EventLog.recover(at: path)
                    return false
                } catch { return true }
            }
            #expect(failed, "\(operation)")
            let outcome = try Reader.readAll(path: path, readOnly: true)
            #expect(outcome.wrong.isEmpty)
        }
        let recovered = try EventLog.recover(at: path)
        #expect(recovered.nextOffset == 3000)
        #expect(try EventLog.verify(at: path).isSound)
        let outcome = try Reader.readAll(path: path, readOnly: false)
        #expect(outcome.offsets == Array(0..<3000).filter { !(damaged.baseOffset...damaged.lastOffset).contains($0) })
        #expect(outcome.errors.isEmpty)
    }

    /// A real full disk: a 16 MiB tmpfs, partly taken by a filler file.
    /// Appends fail with noSpace, everything flushed before stays, and once
    /// the filler is deleted the queued batch and new appends go through.
    @Test(.enabled(if: TmpfsMount.isPossible, "needs root and mount(2); skipped: cannot mount a tmpfs here"))
    func fullTmpfsDisk() throws {
        let dir = TemporaryDirectory()
        let mount = try TmpfsMount(at: dir.child("fs"), megabytes: 16)
        defer { mount.unmount() }
        let filler = mount.path + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: Data(count: 5 << 20))
        let path = mount.path + "/log"
        do {
            let log = try EventLog(path: path, options: Sample.options(segmentBytes: 64 << 20, batchMaxBytes: 64 << 10))
            var flushed: UInt64 = 0
            var next: UInt64 = 0
            var failure: EventLogError?
            while failure == nil && next < 1_000_000 {
                do throws(EventLogError) {
                    _ = try log.append(Sample.record(next))
                    next += 1
                    if next % 200 == 0 {
                        try log.flush()
                        flushed = next
                    }
                } catch { failure = error }
            }
            #expect(failure?.code == .noSpace, "\(String(describing: failure))")
            print("tmpfs full after \(flushed) records flushed, \(next) accepted: \(failure?.message ?? "")")
            #expect(flushed > 1000)
            let seen = try Reader.readAll(log)
            #expect(seen.wrong.isEmpty && seen.errors.isEmpty && seen.offsets.count >= Int(flushed))
            try FileManager.default.removeItem(atPath: filler)
            try log.flush()
            try Sample.append(next..<next + 1000, to: log)
            let outcome = try Reader.readAll(log)
            #expect(outcome.offsets == Array(0..<next + 1000) && outcome.wrong.isEmpty && outcome.errors.isEmpty)
            try log.close()
        }
        let report = try EventLog.verify(at: path)
        #expect(report.isSound, "\(report.problems)")
    }
}

/// A tmpfs mounted for one test; unmounted (lazily, so it cannot fail on a
/// busy file) when the test ends, whatever happened.
struct TmpfsMount {
    let path: String

    static let isPossible: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.path + "/eventlog-tmpfs-probe-\(getpid())"
        mkdir(probe, 0o755)
        defer { rmdir(probe) }
        guard Glibc.mount("tmpfs", probe, "tmpfs", 0, "size=1m") == 0 else { return false }
        umount2(probe, Int32(MNT_DETACH))
        return true
    }()

    init(at path: String, megabytes: Int) throws {
        self.path = path
        mkdir(path, 0o755)
        guard Glibc.mount("tmpfs", path, "tmpfs", 0, "size=\(megabytes)m") == 0 else {
            throw EventLogError(.accessDenied, "mount tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
    }

    func unmount() { umount2(path, Int32(MNT_DETACH)) }
}
