// SPDX-License-Identifier: Apache-2.0
// The ceiling for bench/serve_bench.py: a minimal Hummingbird/NIO WebSocket
// server that sends the same binary frames eventlog-serve would (4096
// records of 100 bytes each) from memory, with no log behind them.
// Usage: serve-echo PORT FRAME_RECORDS
import Hummingbird
import HummingbirdWebSocket

let port = Int(CommandLine.arguments[1]) ?? 8090
let perFrame = Int(CommandLine.arguments[2]) ?? 4096
var frame = ByteBuffer()
frame.writeInteger(UInt8(1))
frame.writeInteger(UInt8(1))
frame.writeInteger(UInt16(0))
frame.writeInteger(UInt32(perFrame))
for i in 0..<perFrame {
    frame.writeInteger(Int64(i))
    frame.writeInteger(Int64(0))
    frame.writeInteger(Int32(-1))
    frame.writeInteger(Int32(100))
    frame.writeRepeatingByte(UInt8(ascii: "x"), count: 100)
    frame.writeInteger(UInt16(0))
}
let template = frame
let router = Router(context: BasicWebSocketRequestContext.self)
router.ws("/stream") { _, outbound, context in
    let frames = context.request.uri.queryParameters["frames"].flatMap { Int($0) } ?? 256
    for _ in 0..<frames { try await outbound.write(.binary(template)) }
}
let app = Application(
    router: Router(context: BasicWebSocketRequestContext.self),
    server: .http1WebSocketUpgrade(webSocketRouter: router),
    configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
