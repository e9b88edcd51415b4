// SPDX-License-Identifier: Apache-2.0
// Every file of this test target sees the helpers all test targets share
// (TemporaryDirectory, SeededGenerator, Locked) without importing them one by one.
@_exported import EventLogTestSupport
