// SPDX-License-Identifier: Apache-2.0
// The logs the server has open, one EventLog per directory shared by every
// connection (an EventLog is thread-safe; cursors are per connection).
// Without --allow-append logs are opened read-only, so a producer in another
// process keeps the directory's writer lock; with it, the server opens them
// for writing (creating a missing log on first append) and falls back to
// read-only when another process already writes the log.
import EventLog
import Glibc
import Synchronization

public final class OpenLog: Sendable {
    public let name: String
    public let log: EventLog
    /// See LogIdentity.
    public let identity: String
    private let tails = Mutex<[TailEncoding: LiveTail]>([:])

    init(name: String, log: EventLog, identity: String) {
        self.name = name
        self.log = log
        self.identity = identity
    }

    /// The log's live records encoded in `format` (LiveTail), started by the
    /// first stream in that format, joined for the caller (who leaves it
    /// when done); nil if the log cannot be read.
    func joinLiveTail(_ encoding: TailEncoding) -> LiveTail? {
        tails.withLock { tails in
            if let tail = tails[encoding], tail.join() { return tail }
            let tail = try? LiveTail(log: log, encoding: encoding)
            tails[encoding] = tail
            return tail
        }
    }

    public var isWritable: Bool { !log.isReadOnly }
}

public struct CatalogError: Error, Sendable {
    public enum Kind: Sendable { case badName, notFound, failed }
    public var kind: Kind
    public var message: String
}

public final class LogCatalog: Sendable {
    public let names: LogNames
    let allowAppend: Bool
    private let open = Mutex<[String: OpenLog]>([:])

    public init(names: LogNames, allowAppend: Bool) {
        self.names = names
        self.allowAppend = allowAppend
    }

    /// The open log `name`; `create` makes a missing one (with --allow-append).
    public func log(_ name: String, create: Bool = false) throws(CatalogError) -> OpenLog {
        if let known = open.withLock({ $0[name] }) { return known }
        let directory: String
        do { directory = try names.directory(for: name, mustExist: !(create && allowAppend)) } catch {
            throw CatalogError(
                kind: error.message.hasSuffix("not found") ? .notFound : .badName, message: error.message)
        }
        let result: Result<OpenLog, CatalogError> = open.withLock { logs in
            if let known = logs[name] { return .success(known) }
            do {
                let log = try Self.openLog(directory, writable: allowAppend, create: create)
                let entry = OpenLog(name: name, log: log, identity: LogIdentity.of(directory: directory))
                logs[name] = entry
                return .success(entry)
            } catch let error as EventLogError {
                let kind: CatalogError.Kind = error.code == .notFound ? .notFound : .failed
                return .failure(CatalogError(kind: kind, message: "log '\(name)': \(error.message)"))
            } catch {
                return .failure(CatalogError(kind: .failed, message: "log '\(name)': \(error)"))
            }
        }
        return try result.get()
    }

    /// Forgets a log whose directory went away, so that a new one by the
    /// same name is opened afresh (with a new identity).
    public func forget(_ name: String) {
        let entry = open.withLock { $0.removeValue(forKey: name) }
        try? entry?.log.close()
    }

    /// Closes every log: what was appended is written and, as each log's
    /// sync mode says, synced.
    public func closeAll() {
        let entries = open.withLock { logs in
            defer { logs.removeAll() }
            return Array(logs.values)
        }
        for entry in entries { try? entry.log.close() }
    }

    private static func openLog(_ directory: String, writable: Bool, create: Bool) throws(EventLogError) -> EventLog {
        // Never make a log where none was asked for (a GET of a plain directory).
        if !create { try LogPresenceCheck.require(directory) }
        if create && writable { makeParents(of: directory) }
        if writable {
            do { return try EventLog(path: directory) } catch  where error.code == .busy {
                // Another process writes it: serve it read-only.
            }
        }
        var options = EventLogOptions()
        options.readOnly = true
        return try EventLog(path: directory, options: options)
    }
}

/// The missing parents of a log created by its first append (the name was
/// checked: they lie under the root).
private func makeParents(of directory: String) {
    var path = ""
    for component in directory.split(separator: "/").dropLast() {
        path += "/" + component
        mkdir(path, 0o755)
    }
}

/// Read-only opens of a directory that holds no log fail in the library;
/// this names the case as "not found" before trying.
enum LogPresenceCheck {
    static func require(_ directory: String) throws(EventLogError) {
        _ = try EventLog.namedCursors(at: directory)
    }
}
