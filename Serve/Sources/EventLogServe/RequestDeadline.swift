// SPDX-License-Identifier: Apache-2.0
// A connection must get its first response (an HTTP reply or the WebSocket
// upgrade) within a deadline, else it is closed. Before its first request
// is parsed, a connection has none of Hummingbird's handlers for idle time,
// shutdown or bad input yet, so one that sends nothing (a browser's
// speculative preconnect) or bytes that are not HTTP would otherwise stay
// open for ever, and hold up a graceful shutdown.
import HummingbirdCore
import Logging
import NIOCore

final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    static let seconds: Int64 = 10
    private var timer: Scheduled<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: .seconds(Self.seconds)) { channel.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // The first response: the connection is in Hummingbird's hands now.
        timer?.cancel()
        timer = nil
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }
}

/// Hummingbird's child channel with the deadline handler first in line and
/// the handler for bytes that are not HTTP after the HTTP decoder.
struct DeadlineChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RequestDeadlineHandler(), position: .first)
        }.flatMap { inner.setup(channel: channel, logger: logger) }.flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(MalformedRequestHandler())
            return value
        }
    }

    func handle(value: Value, logger: Logger) async { await inner.handle(value: value, logger: logger) }
}
