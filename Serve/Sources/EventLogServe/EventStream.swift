// SPDX-License-Identifier: Apache-2.0
// Server-Sent Events: GET /v1/logs/{name}/events. Each record is an event
//   id: OFFSET
//   data: {"offset":...,"timestamp":...,"key":...,"value":...,"headers":{}}
// so a browser's EventSource resumes by itself after a lost connection: it
// sends the last id as Last-Event-ID and the stream goes on after it.
// Without it, ?from= (default latest) and ?from_time= say where to start.
import EventLog
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

struct EventStream: Sendable {
    let catalog: LogCatalog
    let connections: ConnectionCounter
    /// A client whose socket accepts nothing for this long is cut off.
    let stallSeconds: Int

    func response(_ name: String, _ request: Request, _ context: ServeContext) async throws -> Response {
        let box = try Self.cursor(name, request, catalog)
        let client = context.clientAddress
        try connections.enter(client)
        let connections = connections
        let stallSeconds = stallSeconds
        let channel = context.channel
        let body = ResponseBody { writer in
            defer { connections.leave(client) }
            let stopping = ShutdownFlag()
            // A write waits while the channel's queue is full, so a client
            // that reads nothing holds at most a frame and the queue; after
            // `stallSeconds` of that its connection is reset (no last chunk
            // could get past the unread bytes), and the write fails.
            let watch = StallWatch()
            let watchdog = Task {
                try await watch.waitForStall(longerThan: stallSeconds)
                await StallWatch.reset(channel)
            }
            defer { watchdog.cancel() }
            try await withGracefulShutdownHandler {
                var out = ByteBuffer(string: "retry: 1000\n\n")
                while !Task.isCancelled && !stopping.isSet {
                    try Self.drain(box.cursor, into: &out)
                    if out.readableBytes == 0 {
                        switch try await Self.waitForRecord(box, stopping) {
                        case .record(let record):
                            Self.write(record, to: &out)
                            try Self.drain(box.cursor, into: &out)
                        case .idle: out.writeString(": keep-alive\n\n")
                        case .ended: return
                        }
                    }
                    watch.beginWrite()
                    try await writer.write(out)
                    watch.endWrite()
                    out.clear()
                }
            } onGracefulShutdown: {
                stopping.set()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body)
    }

    enum Wait: Sendable {
        case record(Record)
        case idle
        case ended
    }

    /// The next record, waiting for it without holding a thread; `.idle`
    /// after 15 s without one (the caller sends a comment, which also finds
    /// a client that went away) or at shutdown.
    private static func waitForRecord(_ box: CursorBox, _ stopping: ShutdownFlag) async throws -> Wait {
        try await withThrowingTaskGroup(of: Wait.self) { group in
            group.addTask {
                var waiting = box.cursor.following.makeAsyncIterator()
                guard let record = try await waiting.next() else { return .idle }
                return .record(record)
            }
            group.addTask {
                for _ in 0..<60 where !stopping.isSet { try await Task.sleep(for: .milliseconds(250)) }
                return .idle
            }
            let first = try await group.next() ?? .ended
            group.cancelAll()
            // The waiter may have taken a record just as the timer fired: keep it.
            var result = first
            while let other = try await group.next() {
                if case .record = other { result = other }
            }
            return result
        }
    }

    private static func write(_ record: Record, to out: inout ByteBuffer) {
        var frame = RecordFrame(format: .json, capacity: 256)
        frame.add(record)
        // The frame's JSON without its envelope is the record's object.
        var json = frame.take()
        json.moveReaderIndex(forwardBy: "{\"type\":\"records\",\"records\":[".utf8.count)
        json.moveWriterIndex(to: json.writerIndex - 2)
        out.writeString("id: \(record.offset)\ndata: ")
        out.writeBuffer(&json)
        out.writeString("\n\n")
    }

    /// The cursor where the request asks, or the HTTP error saying why not.
    /// (Synchronous: typed throws caught in an async function crash the
    /// compiler.)
    private static func cursor(_ name: String, _ request: Request, _ catalog: LogCatalog) throws -> CursorBox {
        let query = Dictionary(
            request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { a, _ in a })
        let stream: StreamRequest
        do { stream = try StreamRequest(query: query, lastEventID: request.headers[.lastEventID]) } catch {
            throw HTTPError(.badRequest, message: error.message)
        }
        let entry: OpenLog
        do { entry = try catalog.log(name) } catch {
            throw HTTPError(error.kind == .badName ? .badRequest : .notFound, message: error.message)
        }
        do { return CursorBox(try stream.cursor(on: entry.log)) } catch {
            throw HTTPError(.internalServerError, message: "log '\(name)': \(error.message)")
        }
    }

    private static func drain(_ cursor: Cursor, into out: inout ByteBuffer) throws(EventLogError) {
        _ = try RecordJSON.writeAvailable(from: cursor, limit: Int.max, maxBytes: 256 << 10, to: &out) { offset, out in
            out.writeString("id: \(offset)\ndata: ")
        } after: {
            $0.writeString("\n\n")
        }
    }
}

final class ShutdownFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
