# SPDX-License-Identifier: Apache-2.0
"""libeventlog through ctypes, for the Python tests that need what the CLI
cannot choose (small segments, a writer appending while other processes
read): a log opened with chosen segment bytes, and appends of one value."""
import ctypes


class Options(ctypes.Structure):
    """struct eventlog_options (eventlog.h)."""
    _fields_ = [("version", ctypes.c_uint), ("flags", ctypes.c_uint32), ("segment_bytes", ctypes.c_uint64),
                ("batch_max_bytes", ctypes.c_uint32), ("linger_us", ctypes.c_uint32),
                ("compression", ctypes.c_int), ("sync_mode", ctypes.c_int),
                ("sync_interval_ms", ctypes.c_uint32), ("retention_bytes", ctypes.c_uint64),
                ("retention_ms", ctypes.c_int64), ("file_mode", ctypes.c_uint32),
                ("retention_flags", ctypes.c_uint32)]


class Record(ctypes.Structure):
    """struct eventlog_record (eventlog.h)."""
    _fields_ = [("offset", ctypes.c_uint64), ("timestamp", ctypes.c_int64), ("key", ctypes.c_char_p),
                ("key_len", ctypes.c_size_t), ("value", ctypes.c_char_p), ("value_len", ctypes.c_size_t),
                ("headers", ctypes.c_void_p), ("header_count", ctypes.c_size_t)]


class Log:
    """A log opened for appending through the library at `library_path`."""

    def __init__(self, library_path, path, segment_bytes):
        self.library = ctypes.CDLL(library_path)
        options = Options()
        self.library.eventlog_options_init(ctypes.byref(options))
        options.segment_bytes = segment_bytes
        self.handle = ctypes.c_void_p()
        status = self.library.eventlog_open(path.encode(), ctypes.byref(options), ctypes.byref(self.handle))
        assert status == 0, f"eventlog_open {path}: status {status}"

    def append(self, value, key=None):
        """Appends a record of `value` and `key` (bytes, or None for no
        key); returns the status."""
        record = Record(0, 0, key, len(key or b""), value, len(value), None, 0)
        return self.library.eventlog_append(self.handle, ctypes.byref(record), None)

    def flush(self):
        return self.library.eventlog_flush(self.handle)

    def close(self):
        assert self.library.eventlog_close(self.handle) == 0
