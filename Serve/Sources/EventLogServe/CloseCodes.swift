// SPDX-License-Identifier: Apache-2.0
// The WebSocket close codes the server sends, beside the standard ones
// (1000 normal, 1001 going away on shutdown, 1003 unsupported data for a
// binary message, 1009 too big for a frame over the limit). The 4xxx codes
// mirror HTTP statuses so that they read at a glance.
import NIOWebSocket

public enum CloseCode {
    /// A message that is not valid JSON or not a known request.
    public static let badRequest: UInt16 = 4400
    public static let unauthorized: UInt16 = 4401
    /// An append while the server was not started with --allow-append, or
    /// the log is written by another process.
    public static let forbidden: UInt16 = 4403
    /// No log by that name (or a path that is not a stream).
    public static let notFound: UInt16 = 4404
    /// The log directory was removed while the stream followed it.
    public static let gone: UInt16 = 4410
    /// The client asked for an offset beyond the log's end.
    public static let offsetOutOfRange: UInt16 = 4416
    /// The client's socket stayed full longer than the stall limit.
    public static let tooSlow: UInt16 = 4408
    /// More messages per second than the limit.
    public static let rateLimited: UInt16 = 4429
    /// More open streams from the client's address than the limit.
    public static let tooManyConnections: UInt16 = 4430
    /// Reading or writing the log failed (the message names why).
    public static let logError: UInt16 = 4500

    static func code(_ value: UInt16) -> WebSocketErrorCode { WebSocketErrorCode(codeNumber: Int(value)) }
}
