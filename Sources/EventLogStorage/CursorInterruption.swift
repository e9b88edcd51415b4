// SPDX-License-Identifier: Apache-2.0
// Ending a cursor's wait early from another thread.
import Synchronization

/// A request, from any thread, that a cursor's current or next wait end at
/// once (its `read` then returns 0), e.g. because the reading task was
/// cancelled.
package final class CursorInterruption: Sendable {
    private let requested = Atomic<Bool>(false)
    private let state: LogState

    init(state: LogState) { self.state = state }

    package func interrupt() {
        requested.store(true, ordering: .releasing)
        state.wakeWaiters()
    }

    var isRequested: Bool { requested.load(ordering: .acquiring) }

    func consume() -> Bool { requested.exchange(false, ordering: .acquiringAndReleasing) }
}
