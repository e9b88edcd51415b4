// SPDX-License-Identifier: Apache-2.0
// The one error type of libeventlog. Its codes are the C API's EVENTLOG_E*
// values, so the C layer maps an error by reading `code.rawValue`; the
// message names the file, offset or argument concerned.
package import EventLogFormat
import Glibc

public struct EventLogError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The failure classes of the C API, with its numeric values.
    public enum Code: Int32, Sendable {
        case invalidArgument = -1
        case io = -2
        case corrupt = -3
        case busy = -4
        case outOfRange = -5
        case timedOut = -6
        case readOnly = -7
        case tooBig = -8
        case noSpace = -9
        case version = -10
        case noMemory = -11
        case closed = -12
        case notFound = -13
        case accessDenied = -14
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Classifies an errno value from a system call on `path`.
    package static func system(_ operation: String, path: String, errno err: Int32) -> EventLogError {
        let code: Code =
            switch err {
            case ENOSPC, EDQUOT, EFBIG: .noSpace
            case ENOENT, ENOTDIR: .notFound
            case EACCES, EPERM, EROFS: .accessDenied
            case ENOMEM: .noMemory
            case EWOULDBLOCK: .busy
            case EINVAL, ENAMETOOLONG: .invalidArgument
            default: .io
            }
        return EventLogError(code, "\(path): \(operation) failed: \(String(cString: strerror(err)))")
    }

    /// A damaged batch or file, positioned at a byte of a named file.
    package static func corrupt(file: String, at position: Int, _ format: FormatError) -> EventLogError {
        EventLogError(.corrupt, "\(file): \(format.detail) at byte \(position + format.position)")
    }
}
