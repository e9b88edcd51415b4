// SPDX-License-Identifier: Apache-2.0
// How long the current write to a client has been waiting for its socket to
// drain. The sender stops reading the log while a write waits (NIO's
// writability back-pressure suspends it), so a slow client costs bounded
// memory; the watchdog disconnects one that stays stuck past the limit.
import Glibc
import NIOCore
import NIOPosix
import Synchronization

final class StallWatch: Sendable {
    private let writeStarted = Atomic<UInt64>(0)

    func beginWrite() { writeStarted.store(Self.now(), ordering: .relaxed) }
    func endWrite() { writeStarted.store(0, ordering: .relaxed) }

    /// Returns once the pending write has waited longer than `seconds`
    /// (checked twice a second); throws when the task is cancelled.
    func waitForStall(longerThan seconds: Int) async throws {
        while stalledSeconds <= Double(seconds) { try await Task.sleep(for: .milliseconds(500)) }
    }

    /// Closes a stuck connection with a reset: a FIN would wait behind the
    /// bytes the client is not reading, and the kernel would keep them.
    static func reset(_ channel: any Channel) async {
        if let socket = channel as? any SocketOptionProvider {
            try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
    }

    /// Seconds the pending write has waited, 0 if none is pending.
    var stalledSeconds: Double {
        let started = writeStarted.load(ordering: .relaxed)
        return started == 0 ? 0 : Double(Self.now() &- started) / 1e9
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// A token bucket: `rate` messages per second with bursts of twice that.
struct RateLimit {
    private let rate: Double
    private var tokens: Double
    private var last: Double

    init(perSecond rate: Int) {
        self.rate = Double(rate)
        tokens = Double(rate) * 2
        last = Self.seconds()
    }

    mutating func allow() -> Bool {
        let now = Self.seconds()
        tokens = min(rate * 2, tokens + (now - last) * rate)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    private static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
