// SPDX-License-Identifier: Apache-2.0
// Starting and joining a plain pthread: the writer's background flusher
// needs a thread of its own that blocks on a condition variable, which is
// not what Swift concurrency's cooperative pool is for.
import Glibc

final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

package func startThread(_ body: @escaping () -> Void) throws(EventLogError) -> pthread_t {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
        &thread, nil,
        { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, context)
    guard rc == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        throw EventLogError(.noMemory, "cannot start the log's flusher thread: \(String(cString: strerror(rc)))")
    }
    return thread
}
