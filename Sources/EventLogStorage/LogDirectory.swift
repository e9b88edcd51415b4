// SPDX-License-Identifier: Apache-2.0
// Opening and closing a log directory: the writer lock, the head file,
// recovery of the last segment, and the writer; or, read-only, just the
// state that cursors need. Thread-safe after open.
internal import EventLogFormat
import Glibc

package final class LogDirectory: @unchecked Sendable {
    package let state: LogState
    package let configuration: LogConfiguration
    /// Nil for a read-only handle.
    package let writer: LogWriter?
    /// Where async followers wait for the next publish.
    package let publishWaiter: PublishWaiter

    private init(state: LogState, configuration: LogConfiguration, writer: LogWriter?) {
        self.state = state
        self.configuration = configuration
        self.writer = writer
        self.publishWaiter = PublishWaiter(state: state)
    }

    package static func open(path: String, configuration: LogConfiguration) throws(EventLogError) -> LogDirectory {
        guard !path.isEmpty else { throw EventLogError(.invalidArgument, "dir: empty path") }
        guard !path.utf8.contains(0) else { throw EventLogError(.invalidArgument, "dir: the path contains a NUL byte") }
        if configuration.readOnly { return try openReadOnly(path: path, configuration: configuration) }

        try FileSystem.makeDirectory(path, mode: configuration.fileMode)
        guard FileSystem.isDirectory(path) else { throw EventLogError(.invalidArgument, "\(path): not a directory") }
        let lock = try WriterLock.acquire(directory: path, mode: configuration.fileMode)
        let folder = lock.folder
        // A compaction killed mid-swap is finished (or its partial output
        // removed) before anything looks at the segments.
        try SegmentSwap.recoverInterrupted(directory: path, mode: configuration.fileMode)
        let head = try HeadFile.openForWriter(in: folder, mode: configuration.fileMode)
        let previous = head.read().state

        var bases = try SegmentCatalog.listBases(in: folder)
        if bases.isEmpty { bases = [0] }
        Recovery.repairClosedSegmentIndexes(directory: path, bases: bases, mode: configuration.fileMode)
        let segment = try Recovery.openLastSegment(
            folder: folder, base: bases.last!, segmentBytes: configuration.segmentBytes,
            mode: configuration.fileMode, head: previous)

        let published = HeadState(startOffset: bases.first!, catalogVersion: previous.catalogVersion &+ 1)
        let state = LogState(folder: folder, head: head)
        let writer = LogWriter(
            state: state, configuration: configuration, lock: lock, segment: segment, published: published)
        try writer.start()
        return LogDirectory(state: state, configuration: configuration, writer: writer)
    }

    private static func openReadOnly(path: String, configuration: LogConfiguration) throws(EventLogError)
        -> LogDirectory
    {
        guard FileSystem.exists(path) else { throw EventLogError(.notFound, "\(path): no such log directory") }
        guard FileSystem.isDirectory(path) else { throw EventLogError(.invalidArgument, "\(path): not a directory") }
        let folder = try DirectoryHandle.open(path)
        let state: LogState
        if let head = HeadFile.openForReader(in: folder), head.sequence > 0 {
            state = LogState(folder: folder, head: head, checkHead: true)
        } else {
            state = LogState(folder: folder, head: nil, staticState: try LogState.computeStaticState(folder: folder))
        }
        return LogDirectory(state: state, configuration: configuration, writer: nil)
    }

    /// The first offset present: the first segment's base (the next offset
    /// when the log is empty).
    package var startOffset: Int64 {
        let (head, _) = state.snapshot()
        let bases = (try? state.catalog.segmentBases(version: head.catalogVersion)) ?? []
        return bases.first ?? head.nextOffset
    }

    package var endOffset: Int64 { writer?.endOffset ?? state.snapshot().state.nextOffset }

    /// Flushes and closes; cursors answer `closed` from then on.
    package func close() throws(EventLogError) {
        defer {
            state.markClosed()
            publishWaiter.stop()
        }
        try writer?.close()
    }
}
