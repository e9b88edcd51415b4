// SPDX-License-Identifier: Apache-2.0
// Who may connect: the bearer token (header, or ?token= for browsers that
// cannot set headers on a WebSocket), compared in constant time, and the
// number of open streams per client address.
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Synchronization

/// The request context: Hummingbird's, plus the channel (for the client's
/// address, and to close a stalled connection) and the WebSocket handler slot.
public struct ServeContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<ServeContext>
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }

    var clientAddress: String { channel.remoteAddress?.ipAddress ?? "unknown" }
}

struct TokenMiddleware: RouterMiddleware {
    typealias Context = ServeContext
    let token: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // The page itself carries no data; it asks for the token.
        if request.uri.path == "/" { return try await next(request, context) }
        guard let presented = Self.presentedToken(request), Self.constantTimeEqual(Array(presented.utf8), token) else {
            throw HTTPError(.unauthorized, message: "a valid token is required (Authorization: Bearer, or ?token=)")
        }
        return try await next(request, context)
    }

    /// The bearer token of the Authorization header, else ?token=.
    static func presentedToken(_ request: Request) -> Substring? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") { return header.dropFirst(7) }
        return request.uri.queryParameters["token"]
    }

    /// Equal length and bytes, in a time that depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}

/// Open streams per client address, limited.
final class ConnectionCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts one more for `client`, or throws 429 at the limit.
    func enter(_ client: String) throws {
        guard tryEnter(client) else {
            throw HTTPError(.tooManyRequests, message: "more than \(limit) open streams from \(client)")
        }
    }

    /// Counts one more for `client`; false at the limit.
    func tryEnter(_ client: String) -> Bool {
        counts.withLock { counts in
            let now = counts[client, default: 0]
            guard now < limit else { return false }
            counts[client] = now + 1
            return true
        }
    }

    func leave(_ client: String) {
        counts.withLock { counts in
            let now = counts[client, default: 1] - 1
            counts[client] = now > 0 ? now : nil
        }
    }
}
