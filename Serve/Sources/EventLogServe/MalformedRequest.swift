// SPDX-License-Identifier: Apache-2.0
// Bytes that are not HTTP: the HTTP decoder rejects them, but with the
// WebSocket upgrade in the pipeline nothing of Hummingbird's is there yet to
// hear it (its handlers come after the upgrade decision, which waits for a
// request head that will never come), so the connection would stay open
// until the first-request deadline. This handler, last in line behind the
// decoder, answers 400 and closes the connection as soon as the decoder
// fails, unless a response has begun (then it only closes).
import NIOCore
import NIOHTTP1
import NIOWebSocket

final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = HTTPServerResponsePart
    /// Whether anything was written: the 400 would land inside a response
    /// (or on a WebSocket) otherwise.
    private var responded = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        responded = true
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let body: String
        if error is HTTPParserError {
            body = ""
        } else if let refused = error as? NIOWebSocketUpgradeError {
            // The upgrader refused the handshake; the connection was closed
            // without a word, which a client cannot tell from a crash.
            let message =
                refused == .unsupportedWebSocketTarget
                ? "no WebSocket here: streams are GET /v1/logs/NAME/stream"
                : "a WebSocket upgrade needs one Sec-WebSocket-Key and Sec-WebSocket-Version: 13"
            body = "{\"error\":{\"message\":\"\(message)\"}}\n"
        } else {
            context.fireErrorCaught(error)
            return
        }
        guard !responded else {
            context.close(promise: nil)
            return
        }
        responded = true
        var headers: HTTPHeaders = ["Connection": "close", "Content-Length": "\(body.utf8.count)"]
        if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
        let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
        // Closed once the reply is written: a close would drop it if queued.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
