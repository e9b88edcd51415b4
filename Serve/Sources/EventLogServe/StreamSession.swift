// SPDX-License-Identifier: Apache-2.0
// One WebSocket stream: the hello, then records from the requested position
// on (batched into frames when many wait, one per frame when they trickle),
// while the client's requests (acks, appends) are read beside it. Three
// tasks: the sender, the reader, and a watchdog that disconnects a client
// whose socket stays full. The first to end ends the stream.
import EventLog
import HummingbirdWebSocket
import NIOCore
import NIOPosix
import NIOWebSocket
import ServiceLifecycle
import Synchronization

/// Ends a stream with a close code and a reason the client can read.
struct SessionClose: Error {
    var code: UInt16
    /// At most 123 bytes, what a close frame holds, cut between characters:
    /// a reason quotes what the client sent, in any script, and a cut inside
    /// a character is not a string.
    let reason: String

    init(code: UInt16, reason: String) {
        self.code = code
        var reason = reason
        while reason.utf8.count > 123 { reason.removeLast() }
        self.reason = reason
    }
}

/// What the WebSocket layer raised while assembling the client's next
/// message: a message over --max-frame-bytes in many small fragments, a
/// continuation frame that continues nothing. Handed back to that layer,
/// which closes with the code that names it (1009, 1002); swallowed, the
/// stream ended with 1000 as if nothing were wrong.
struct InboundFailure: Error {
    var error: any Error
}

/// A cursor handed to the one task that uses it.
final class CursorBox: @unchecked Sendable {
    let cursor: Cursor
    init(_ cursor: Cursor) { self.cursor = cursor }
}

final class StreamSession: Sendable {
    let entry: OpenLog
    let request: StreamRequest
    let options: ServeOptions
    let catalog: LogCatalog
    let outbound: WebSocketOutboundWriter
    let channel: any Channel
    private let watch = StallWatch()
    /// The offset of the last record sent, -1 before the first: acks beyond it are refused.
    private let lastSent = Atomic<Int64>(-1)

    init(
        entry: OpenLog, request: StreamRequest, options: ServeOptions, catalog: LogCatalog,
        outbound: WebSocketOutboundWriter, channel: any Channel
    ) {
        self.entry = entry
        self.request = request
        self.options = options
        self.catalog = catalog
        self.outbound = outbound
        self.channel = channel
    }

    func run(inbound: WebSocketInboundStream) async throws {
        do {
            let cursor = try await start()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.sendRecords(cursor) }
                group.addTask { try await self.readRequests(inbound) }
                group.addTask { try await self.watchStalls() }
                // At shutdown the WebSocket layer sends the close frame and
                // writes nothing more; the stream ends then, so that the
                // layer's close timeout bounds the wait for the client's
                // reply. Waiting for the client to end the stream instead,
                // one that never answers held up the server's exit for good.
                group.addTask { try await gracefulShutdown() }
                defer { group.cancelAll() }
                _ = try await group.next()
            }
        } catch let failure as InboundFailure {
            throw failure.error
        } catch let close as SessionClose {
            await sendClose(close)
        } catch let error as EventLogError {
            // A missing file is not a missing log: retention and compaction
            // delete segments while streams read them, and the cursor of a
            // stream behind them may find its next segment gone. Only when
            // the directory is no longer the log this stream opened is the
            // log forgotten, which closes it under every stream of it.
            let gone = error.code == .notFound && LogIdentity.of(directory: entry.log.path) != entry.identity
            if gone { catalog.forget(entry.name) }
            let code = gone ? CloseCode.gone : CloseCode.logError
            await sendClose(SessionClose(code: code, reason: error.message))
        } catch {
            // The connection failed (reset, cancelled): nothing to tell.
        }
    }

    /// The hello message, and the cursor where the client asked.
    private func start() async throws -> CursorBox {
        let log = entry.log
        let (cursor, movedTo) = try request.opened(on: log)
        let startOffset = log.startOffset
        let endOffset = log.endOffset
        var hello = "{\"type\":\"hello\",\"log\":"
        hello += jsonString(entry.name)
        hello += ",\"id\":\"\(entry.identity)\",\"start_offset\":\(startOffset),\"end_offset\":\(endOffset)"
        hello += ",\"from\":\(cursor.offset),\"format\":\"\(request.format.rawValue)\""
        hello += ",\"cursor\":" + (request.cursorName.map(jsonString) ?? "null")
        hello += ",\"writable\":\(entry.isWritable && options.allowAppend)}"
        try await outbound.write(.text(hello))
        if case .offset(let wanted) = request.start {
            // Where the stream goes on: the first segment, when the library
            // found `wanted` before it (retention by another process does
            // not move the published start), else the published start.
            let goesOnAt = movedTo ?? startOffset
            if wanted < goesOnAt {
                try await outbound.write(.text(Truncation.notice(requested: wanted, goesOnAt: goesOnAt)))
            } else if wanted > endOffset {
                throw SessionClose(
                    code: CloseCode.offsetOutOfRange,
                    reason: "from=\(wanted) is beyond the end of the log (\(endOffset))")
            }
        }
        return CursorBox(cursor)
    }

    // MARK: Sending

    private func sendRecords(_ box: CursorBox) async throws {
        let cursor = box.cursor
        let tail = entry.joinLiveTail(.frame(request.format))
        defer { tail?.leave() }
        var frame = RecordFrame(format: request.format, capacity: min(options.maxBatchBytes + 4096, 1 << 20))
        var waiting = cursor.following.makeAsyncIterator()
        // The next offset to send; the cursor is behind it while the live tail serves.
        var next = cursor.offset
        while !Task.isCancelled {
            let taken =
                tail?.takeFrame(
                    from: next, maxRecords: options.maxBatchRecords, maxBytes: options.maxBatchBytes, builder: &frame)
                ?? .notHeld
            let bytes: ByteBuffer
            switch taken {
            case .took(let shared):
                next = shared.next
                guard shared.count > 0 else { continue }
                // Before the write: the client may ack the frame before the write returns.
                lastSent.store(shared.lastOffset, ordering: .relaxed)
                bytes = shared.bytes
            case .caughtUp:
                await tail!.wait(beyond: next)
                continue
            case .notHeld:
                guard
                    try Truncation.readWritten(
                        cursor, from: next,
                        { () throws(EventLogError) in
                            try drain(cursor, into: &frame)
                        })
                else {
                    try cursor.seek(to: .oldest)
                    // The client learns what it lost, as from a `from=`
                    // before the start, and the stream goes on.
                    try await outbound.write(.text(Truncation.notice(requested: next, goesOnAt: cursor.offset)))
                    next = cursor.offset
                    continue
                }
                if frame.count == 0 {
                    // Nothing written yet: suspend (no thread held) until a record is.
                    guard let record = try await waiting.next() else { return }
                    frame.add(record)
                    try drain(cursor, into: &frame)
                }
                next = cursor.offset
                lastSent.store(frame.lastOffset, ordering: .relaxed)
                bytes = frame.take()
            }
            watch.beginWrite()
            switch request.format {
            case .json: try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: bytes)))
            case .binary: try await outbound.write(.binary(bytes))
            }
            watch.endWrite()
        }
    }

    /// Adds the records already written, up to the frame's limits, without
    /// waiting. Records retention deleted before they were read end the
    /// frame: it goes out, and the next round reports them.
    private func drain(_ cursor: Cursor, into frame: inout RecordFrame) throws(EventLogError) {
        try Truncation.drain(
            cursor, while: { frame.count < options.maxBatchRecords && frame.byteCount < options.maxBatchBytes }
        ) { frame.add($0) }
    }

    private func watchStalls() async throws {
        try await watch.waitForStall(longerThan: options.stallSeconds)
        // The close frame queues behind the data the client is not
        // reading; if it cannot be sent within 2 s, the socket is reset.
        let outbound = outbound
        let reason = "too slow: the socket accepted nothing for \(options.stallSeconds) s"
        Task { try? await outbound.close(CloseCode.code(CloseCode.tooSlow), reason: reason) }
        try await Task.sleep(for: .seconds(2))
        await StallWatch.reset(channel)
    }

    // MARK: Reading requests

    private func readRequests(_ inbound: WebSocketInboundStream) async throws {
        var rate = RateLimit(perSecond: options.maxMessagesPerSecond)
        var committer: CursorBox?
        var messages = inbound.messages(maxSize: options.maxFrameBytes).makeAsyncIterator()
        while true {
            let next: WebSocketMessage?
            do { next = try await messages.next() } catch { throw InboundFailure(error: error) }
            guard let message = next else { return }
            guard rate.allow() else {
                throw SessionClose(
                    code: CloseCode.rateLimited, reason: "more than \(options.maxMessagesPerSecond) messages per second"
                )
            }
            guard case .text(let text) = message else {
                throw SessionClose(code: 1003, reason: "binary messages are not requests: send JSON text")
            }
            let json: Any
            do { json = try IncomingJSON.parse(Array(text.utf8)) } catch {
                throw SessionClose(code: CloseCode.badRequest, reason: "invalid JSON message")
            }
            guard let object = json as? [String: Any] else {
                throw SessionClose(code: CloseCode.badRequest, reason: "a request must be a JSON object")
            }
            if let ack = object["ack"] {
                try await acknowledge(ack, committer: &committer)
            } else if let records = object["append"] {
                try await append(records, object)
            } else {
                throw SessionClose(
                    code: CloseCode.badRequest, reason: "unknown request: expected {\"ack\": N} or {\"append\": ...}")
            }
        }
    }

    /// Commits the named cursor after `value` (the last offset processed),
    /// durably, before the reply.
    private func acknowledge(_ value: Any, committer: inout CursorBox?) async throws {
        guard let name = request.cursorName else {
            throw SessionClose(code: CloseCode.badRequest, reason: "ack needs a stream opened with cursor=NAME")
        }
        guard let offset = IncomingJSON.integer(value), offset >= 0 else {
            throw SessionClose(code: CloseCode.badRequest, reason: "ack: expected an offset")
        }
        guard offset <= lastSent.load(ordering: .relaxed) else {
            throw SessionClose(code: CloseCode.badRequest, reason: "ack: \(offset) was not sent on this stream")
        }
        if committer == nil { committer = CursorBox(try entry.log.cursor(named: name)) }
        let box = committer!
        try await NIOThreadPool.singleton.runIfActive {
            try box.cursor.seek(to: .offset(UInt64(offset) + 1))
            try box.cursor.commit()
        }
        try await outbound.write(.text("{\"type\":\"acked\",\"offset\":\(offset)}"))
    }

    private func append(_ value: Any, _ object: [String: Any]) async throws {
        guard options.allowAppend else {
            throw SessionClose(code: CloseCode.forbidden, reason: "appending is off (serve with --allow-append)")
        }
        let records: [Record]
        do { records = try IncomingJSON.records(value) } catch {
            throw SessionClose(code: CloseCode.badRequest, reason: "append: \(error.message)")
        }
        let sync = (object["sync"] as? Bool) ?? false
        let result: AppendResult
        do { result = try await Appending.append(records, to: entry, sync: sync) } catch let error as RequestError {
            throw SessionClose(code: CloseCode.forbidden, reason: error.message)
        }
        var reply = "{\"type\":\"appended\""
        if let id = object["id"], let number = IncomingJSON.integer(id) {
            reply += ",\"id\":\(number)"
        } else if let id = object["id"] as? String {
            reply += ",\"id\":" + jsonString(id)
        }
        reply += "," + result.json.dropFirst()
        try await outbound.write(.text(reply))
    }

    private func sendClose(_ close: SessionClose) async {
        try? await outbound.close(CloseCode.code(close.code), reason: close.reason)
    }
}

func jsonString(_ text: String) -> String {
    var buffer = ByteBuffer()
    buffer.writeJSONString(text)
    return String(buffer: buffer)
}
