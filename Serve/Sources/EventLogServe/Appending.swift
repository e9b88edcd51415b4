// SPDX-License-Identifier: Apache-2.0
// Appends from clients (POST .../records and {"append": ...} messages). The
// reply comes after flush, when every follower can read the records, or with
// sync after they are durable (EventLog.sync). Both block, so they run on
// NIO's thread pool, not on the tasks that serve connections.
import EventLog
import NIOPosix

struct AppendResult: Sendable {
    var firstOffset: UInt64
    var count: Int

    /// {"first_offset":F,"last_offset":L,"count":N}
    var json: String {
        let last = count > 0 ? String(firstOffset + UInt64(count) - 1) : "null"
        return "{\"first_offset\":\(firstOffset),\"last_offset\":\(last),\"count\":\(count)}"
    }
}

enum Appending {
    static func append(_ records: [Record], to entry: OpenLog, sync: Bool) async throws -> AppendResult {
        guard entry.isWritable else {
            throw RequestError(
                "log '\(entry.name)' is read-only here (serve with --allow-append, and no other process writing it)")
        }
        if records.isEmpty { return AppendResult(firstOffset: entry.log.endOffset, count: 0) }
        return try await NIOThreadPool.singleton.runIfActive {
            let first = try entry.log.append(contentsOf: records)
            if sync { try entry.log.sync() } else { try entry.log.flush() }
            return AppendResult(firstOffset: first, count: records.count)
        }
    }
}
