// SPDX-License-Identifier: Apache-2.0
// The plain HTTP face: GET /v1/logs (names, offsets, sizes),
// GET /v1/logs/{name}/records?from=&limit= (a batch as JSON lines),
// POST /v1/logs/{name}/records (JSON lines appended; ?sync=1 waits until
// durable) and GET /v1/logs/{name}/events (Server-Sent Events). A name may
// hold slashes (logs in subdirectories), so routes match the rest of the
// path and the last component says which.
import EventLog
import Foundation
import Glibc
import Hummingbird
import NIOCore

struct LogRoutes: Sendable {
    let catalog: LogCatalog
    let options: ServeOptions
    let connections: ConnectionCounter

    func add(to router: Router<ServeContext>) {
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.get("/v1/logs") { _, _ in try listLogs() }
        router.get("/v1/logs/**") { request, context in
            let (name, action) = try target(context)
            switch action {
            case "records": return try readRecords(name, request)
            case "events":
                return try await EventStream(
                    catalog: catalog, connections: connections, stallSeconds: options.stallSeconds
                )
                .response(name, request, context)
            case "stream":
                throw HTTPError(.upgradeRequired, message: "/stream is a WebSocket: connect with an Upgrade request")
            default: throw HTTPError(.notFound, message: "expected /v1/logs/NAME/records, /events or /stream")
            }
        }
        router.post("/v1/logs/**") { request, context in
            let (name, action) = try target(context)
            guard action == "records" else { throw HTTPError(.notFound, message: "POST /v1/logs/NAME/records") }
            return try await appendRecords(name, request)
        }
    }

    /// The log name and the action (the last path component).
    func target(_ context: ServeContext) throws -> (String, String) {
        let parts = context.parameters.getCatchAll()
        guard parts.count >= 2 else { throw HTTPError(.notFound, message: "expected /v1/logs/NAME/ACTION") }
        do { return (try LogNames.fromPath(parts.dropLast()), String(parts.last!)) } catch {
            throw HTTPError(.badRequest, message: error.message)
        }
    }

    func open(_ name: String, create: Bool = false) throws -> OpenLog {
        do { return try catalog.log(name, create: create) } catch {
            switch error.kind {
            case .badName: throw HTTPError(.badRequest, message: error.message)
            case .notFound: throw HTTPError(.notFound, message: error.message)
            case .failed: throw HTTPError(.internalServerError, message: error.message)
            }
        }
    }

    func listLogs() throws -> Response {
        var body = ByteBuffer(string: "{\"logs\":[")
        var first = true
        for name in catalog.names.list() {
            guard let entry = try? catalog.log(name) else { continue }
            if !first { body.writeString(",") }
            first = false
            body.writeString("{\"name\":")
            body.writeJSONString(name)
            body.writeString(
                ",\"id\":\"\(entry.identity)\",\"start_offset\":\(entry.log.startOffset),"
                    + "\"end_offset\":\(entry.log.endOffset),\"size_bytes\":\(Self.size(of: entry.log.path)),"
                    + "\"writable\":\(entry.isWritable && options.allowAppend)}")
        }
        body.writeString("]}\n")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    func readRecords(_ name: String, _ request: Request) throws -> Response {
        let entry = try open(name)
        let query = request.uri.queryParameters
        var from = EventLog.Position.oldest
        if let text = query["from"] {
            guard let offset = UInt64(text), offset <= UInt64(Int64.max) else {
                throw HTTPError(.badRequest, message: "from: expected an offset, got '\(text)'")
            }
            from = .offset(offset)
        }
        var limit = 1000
        if let text = query["limit"] {
            guard let value = Int(text), value > 0, value <= 100_000 else {
                throw HTTPError(.badRequest, message: "limit: expected 1 to 100000, got '\(text)'")
            }
            limit = value
        }
        var body = ByteBuffer()
        do {
            // An offset retention removed reads from the oldest record, as
            // a stream does: the lines carry their offsets, so the gap shows.
            let cursor = try entry.log.cursor(from: .oldest)
            _ = try StreamRequest.seek(cursor, to: from)
            // What the log holds now, without waiting: JSON lines.
            for _ in 0..<limit {
                guard let record = try cursor.next() else { break }
                RecordJSON.write(record, to: &body)
                body.writeString("\n")
            }
        } catch {
            throw HTTPError(.internalServerError, message: "log '\(name)': \(error.message)")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: body))
    }

    func appendRecords(_ name: String, _ incoming: Request) async throws -> Response {
        guard options.allowAppend else {
            throw HTTPError(.forbidden, message: "appending is off (serve with --allow-append)")
        }
        var request = incoming
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: options.maxFrameBytes) } catch {
            throw HTTPError(.contentTooLarge, message: "the body is over \(options.maxFrameBytes) bytes")
        }
        var records: [Record] = []
        let bytes = body.readableBytesView
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do { records.append(try IncomingJSON.record(try IncomingJSON.parse(line))) } catch {
                throw HTTPError(.badRequest, message: "line \(lineNumber): \(error.message)")
            }
        }
        let entry = try open(name, create: true)
        let sync = ["1", "true"].contains(incoming.uri.queryParameters["sync"] ?? "")
        let result: AppendResult
        do { result = try await Appending.append(records, to: entry, sync: sync) } catch let error as RequestError {
            throw HTTPError(.conflict, message: error.message)
        } catch let error as EventLogError {
            throw HTTPError(.internalServerError, message: "log '\(name)': \(error.message)")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: result.json + "\n")))
    }

    /// Bytes of the files in a log directory.
    static func size(of directory: String) -> UInt64 {
        guard let dir = opendir(directory) else { return 0 }
        defer { closedir(dir) }
        var total: UInt64 = 0
        var st = stat()
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            if stat(directory + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { total += UInt64(st.st_size) }
        }
        return total
    }
}
