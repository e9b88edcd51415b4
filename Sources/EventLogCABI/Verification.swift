// SPDX-License-Identifier: Apache-2.0
// C API: eventlog_verify. The report is filled whether the log is sound
// (EVENTLOG_OK) or not (EVENTLOG_ECORRUPT, the message naming the first
// problem); on any other error its counts are left zeroed. A report whose
// version this library does not know is refused before anything is written.
import CEventLogHeader
internal import EventLog

@c(eventlog_verify)
public func eventlogVerify(_ dir: UnsafePointer<CChar>?, _ report: UnsafeMutablePointer<eventlog_verify_report>?)
    -> CInt
{
    onDirectory(dir, output: report, named: "report_out") { (path) throws(EventLogError) in
        let result = try EventLog.verify(at: path)
        deliver(
            eventlog_verify_report(
                version: UInt32(EVENTLOG_VERIFY_REPORT_VERSION),
                segments: result.segments, batches: result.batches, records: result.records,
                corrupt_batches: result.corruptBatches, truncated_bytes: result.truncatedBytes), to: report)
        guard let first = result.problems.first else { return }
        let more = result.problems.count > 1 ? " (and \(result.problems.count - 1) more problems)" : ""
        throw EventLogError(.corrupt, "\(first)\(more)")
    }
}
