// SPDX-License-Identifier: Apache-2.0
// Whether a directory holds a log: a `.log` segment file or the head file.
// Maintenance (compaction, retention, inspection, named cursors) checks this
// before it takes a lock or creates a file, so pointed at an ordinary
// directory by mistake it refuses and leaves the directory as it was,
// instead of reporting an empty log as sound.
package enum LogPresence {
    /// Throws `notFound` unless `directory` is an existing directory holding
    /// a log; `invalidArgument` for an empty path, a path with a NUL byte (C
    /// would cut it there) or one that names something else than a directory.
    package static func require(directory: String) throws(EventLogError) {
        guard !directory.isEmpty else { throw EventLogError(.invalidArgument, "dir: empty path") }
        guard !directory.utf8.contains(0) else {
            throw EventLogError(.invalidArgument, "dir: the path contains a NUL byte")
        }
        guard FileSystem.isDirectory(directory) else {
            guard !FileSystem.exists(directory) else {
                throw EventLogError(.invalidArgument, "\(directory): not a directory")
            }
            throw EventLogError(.notFound, "\(directory): no such log directory")
        }
        let names = try FileSystem.listDirectory(directory)
        guard names.contains(HeadFile.fileName) || names.contains(where: { SegmentFileName.parse($0, .log) != nil })
        else {
            throw EventLogError(.notFound, "\(directory): no log here (no segment files, no \(HeadFile.fileName))")
        }
    }
}
