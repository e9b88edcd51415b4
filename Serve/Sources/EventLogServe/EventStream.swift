// SPDX-License-Identifier: Apache-2.0
// Server-Sent Events: GET /v1/logs/{name}/events. Each record is an event
//   id: OFFSET
//   data: {"offset":...,"timestamp":...,"key":...,"value":...,"headers":{}}
// so a browser's EventSource resumes by itself after a lost connection: it
// sends the last id as Last-Event-ID and the stream goes on after it.
// Without it, ?from= (default latest) and ?from_time= say where to start.
// Records removed before they were sent are announced by an event without
// an id, `event: truncated` (Truncation.swift), before the stream goes on.
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
        let (entry, box, truncated) = try Self.cursor(name, request, catalog)
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
                // Caught-up streams copy the events the log's live tail encoded
                // once for all of them; a stream behind it reads its own cursor.
                let tail = entry.joinLiveTail(.serverSentEvents)
                defer { tail?.leave() }
                var next = box.cursor.offset
                var out = ByteBuffer(string: "retry: 1000\n\n")
                if let truncated { out.writeString(truncated) }
                while !Task.isCancelled && !stopping.isSet {
                    switch tail?.take(from: next, into: &out, maxBytes: Self.maxWriteBytes) ?? .notHeld {
                    case .took(let after): next = after
                    case .caughtUp:
                        guard out.readableBytes == 0 else { break }
                        let from = next
                        if try await Self.wait(stopping, for: { await tail!.wait(beyond: from) }) == nil {
                            out.writeString(": keep-alive\n\n")
                        }
                    case .notHeld:
                        let cursor = box.cursor
                        guard
                            try Truncation.readWritten(
                                cursor, from: next,
                                { () throws(EventLogError) in
                                    try Self.drain(cursor, into: &out)
                                })
                        else {
                            try cursor.seek(to: .oldest)
                            out.writeString(ServerSentEvent.truncated(requested: next, goesOnAt: cursor.offset))
                            next = cursor.offset
                            continue
                        }
                        if out.readableBytes == 0 {
                            let record = try await Self.wait(stopping) {
                                var waiting = box.cursor.following.makeAsyncIterator()
                                return try await waiting.next()
                            }
                            if let record = record ?? nil {
                                ServerSentEvent.write(record, to: &out)
                                try Self.drain(cursor, into: &out)
                            } else {
                                out.writeString(": keep-alive\n\n")
                            }
                        }
                        next = cursor.offset
                    }
                    guard out.readableBytes > 0 else { continue }
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

    /// A write holds at most this much; the rest waits for the next one.
    private static let maxWriteBytes = 256 << 10

    /// What `event` returns, waiting for it without holding a thread; nil
    /// after 15 s without it (the caller sends a comment, which also finds a
    /// client that went away) or at shutdown.
    private static func wait<Value: Sendable>(
        _ stopping: ShutdownFlag, for event: @escaping @Sendable () async throws -> Value
    ) async throws -> Value? {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await event() }
            group.addTask {
                // Cancelled when the event comes first: then it ends quietly,
                // since an error of its own would end the stream.
                for _ in 0..<60 where !stopping.isSet && !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                }
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            // The event may have come just as the timer fired: keep it.
            var result = first
            while let other = try await group.next() {
                if let other { result = other }
            }
            return result
        }
    }

    /// The cursor where the request asks, and the `truncated` event to send
    /// first when the offset asked for was removed; or the HTTP error
    /// saying why not. (Synchronous: typed throws caught in an async
    /// function crash the compiler.)
    private static func cursor(_ name: String, _ request: Request, _ catalog: LogCatalog) throws -> (
        OpenLog, CursorBox, String?
    ) {
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
        // Past the end, the client saw events of another log (the directory
        // was replaced): 416 makes an EventSource stop and the application
        // start over, where waiting would stay silent until offsets that
        // may never come.
        if case .offset(let wanted) = stream.start, wanted > entry.log.endOffset {
            throw HTTPError(
                .rangeNotSatisfiable,
                message: "log '\(name)': \(stream.startNamed) is beyond the end of the log (\(entry.log.endOffset))")
        }
        do {
            let (cursor, movedTo) = try stream.opened(on: entry.log)
            guard case .offset(let wanted) = stream.start, let movedTo else { return (entry, CursorBox(cursor), nil) }
            return (entry, CursorBox(cursor), ServerSentEvent.truncated(requested: wanted, goesOnAt: movedTo))
        } catch {
            throw HTTPError(.internalServerError, message: "log '\(name)': \(error.message)")
        }
    }

    private static func drain(_ cursor: Cursor, into out: inout ByteBuffer) throws(EventLogError) {
        try Truncation.drain(cursor, while: { out.readableBytes < maxWriteBytes }) {
            ServerSentEvent.write($0, to: &out)
        }
    }
}

/// One record as a Server-Sent Event, its offset as the event's id.
enum ServerSentEvent {
    static func write(_ record: Record, to out: inout ByteBuffer) {
        out.writeStaticString("id: ")
        out.writeDecimal(record.offset)
        out.writeStaticString("\ndata: ")
        RecordJSON.write(record, to: &out)
        out.writeStaticString("\n\n")
    }

    /// A `truncated` event (no id: it is no record), for EventSource's
    /// addEventListener("truncated", ...); its data is the WebSocket
    /// stream's `truncated` message.
    static func truncated(requested: UInt64, goesOnAt: UInt64) -> String {
        "event: truncated\ndata: \(Truncation.notice(requested: requested, goesOnAt: goesOnAt))\n\n"
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
