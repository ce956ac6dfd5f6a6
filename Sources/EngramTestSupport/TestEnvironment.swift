import Foundation
public import Logging

/// A fresh directory under /tmp, short because a Unix socket path (`sun_path`) holds only 107
/// bytes, so not under the build directory. The caller removes it.
public func makeTemporaryDirectory(prefix: String = "engram-test") throws -> String {
    let path = "/tmp/\(prefix)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A logger that prints warnings and worse only.
public func makeTestLogger(_ label: String = "engram.test") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    return logger
}
