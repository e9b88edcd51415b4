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

struct EventStream: Sendable {
    let catalog: LogCatalog
    let connections: ConnectionCounter

    func response(_ name: String, _ request: Request, _ context: ServeContext) async throws -> Response {
        let box = try Self.cursor(name, request, catalog)
        let client = context.clientAddress
        try connections.enter(client)
        let connections = connections
        let body = ResponseBody { writer in
            defer { connections.leave(client) }
            let cursor = box.cursor
            var waiting = cursor.following.makeAsyncIterator()
            var out = ByteBuffer(string: "retry: 1000\n\n")
            while !Task.isCancelled {
                try Self.drain(cursor, into: &out)
                if out.readableBytes == 0 {
                    guard let record = try await waiting.next() else { break }
                    var frame = RecordFrame(format: .json, capacity: 256)
                    frame.add(owned: record)
                    // Reuses the frame's JSON for the one record.
                    var json = frame.take()
                    json.moveReaderIndex(forwardBy: "{\"type\":\"records\",\"records\":[".utf8.count)
                    json.moveWriterIndex(to: json.writerIndex - 2)
                    out.writeString("id: \(record.offset)\ndata: ")
                    out.writeBuffer(&json)
                    out.writeString("\n\n")
                    try Self.drain(cursor, into: &out)
                }
                try await writer.write(out)
                out.clear()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body)
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

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
