// SPDX-License-Identifier: Apache-2.0
// What `eventlog-serve` was asked to do: the root it serves, where it
// listens, who may connect, and the limits that keep one client from
// starving the others. Defaults are the documented ones (Docs/SERVE.md).
public struct ServeOptions: Sendable {
    /// Every log directory under it is served by its relative name.
    public var root: String
    public var host = "127.0.0.1"
    public var port = 8080
    /// Required (Authorization: Bearer, or ?token=) when set.
    public var token: String?
    /// POST .../records and {"append": ...} messages; logs are opened for
    /// writing (created on first append) instead of read-only.
    public var allowAppend = false
    /// The largest WebSocket frame or HTTP body accepted from a client.
    public var maxFrameBytes = 1 << 20
    /// Messages per second a WebSocket client may send (burst: twice that).
    public var maxMessagesPerSecond = 1000
    /// Open WebSocket and event-stream connections per client address.
    public var maxConnectionsPerClient = 64
    /// Records and bytes in one outgoing frame when many are waiting.
    public var maxBatchRecords = 4096
    public var maxBatchBytes = 256 << 10
    /// A client whose socket accepts nothing for this long is disconnected.
    public var stallSeconds = 10
    /// Seconds between pings; a client that misses two pongs is dropped.
    public var pingSeconds = 15

    public init(root: String) { self.root = root }
}
