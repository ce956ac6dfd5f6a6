import Foundation
import MemoryEngine
import Testing

/// Hot backups asked for over the API go only into the configured backup directories.
@Suite struct BackupDestinationTests {
    func withDirectory(_ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.path + "/engram-backup-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // realpath: the temporary directory may itself sit behind a link.
        try body(URL(fileURLWithPath: path).resolvingSymlinksInPath().path)
    }

    func refusal(_ requested: String, _ allowed: [String]) -> String? {
        do {
            _ = try BackupDestination.resolve(requested, allowed: allowed)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func aNameGoesIntoTheFirstDirectoryWhichIsCreated() throws {
        try withDirectory { dir in
            let destination = try BackupDestination.resolve("nightly-1", allowed: [dir + "/backups", dir + "/other"])
            #expect(destination.path == dir + "/backups/nightly-1")
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: dir + "/backups", isDirectory: &isDirectory) && isDirectory.boolValue)
            #expect(try BackupDestination.resolve(dir + "/other/x", allowed: [dir + "/backups", dir + "/other"]).path
                    == dir + "/other/x")
        }
    }

    @Test func pathsOutsideTheBackupDirectoriesAreRefused() throws {
        try withDirectory { dir in
            let allowed = [dir + "/backups"]
            #expect(refusal("/etc/engram-copy", allowed) == "invalid_argument")
            #expect(refusal(dir + "/elsewhere", allowed) == "invalid_argument")
            #expect(refusal(dir + "/backups/a/b", allowed) == "invalid_argument")  // not directly inside
            #expect(refusal(dir + "/backups/../escape", allowed) == "invalid_argument")
            #expect(refusal("relative/name", allowed) == "invalid_argument")
            for name in [".", "..", "", "a\u{0}b", "sp ace", String(repeating: "x", count: 129), "ü"] {
                #expect(refusal(name, allowed) == "invalid_argument", "\(name.debugDescription)")
            }
            // A link inside the backup directory that leads out of it is not a way around.
            try FileManager.default.createSymbolicLink(atPath: dir + "/backups/out", withDestinationPath: dir)
            #expect(refusal(dir + "/backups/out/x", allowed) == "invalid_argument")
            #expect(!FileManager.default.fileExists(atPath: dir + "/x"))
        }
    }

    @Test func anExistingNameOrDanglingLinkIsAConflict() throws {
        try withDirectory { dir in
            let allowed = [dir + "/backups"]
            try FileManager.default.createDirectory(atPath: dir + "/backups/taken", withIntermediateDirectories: true)
            #expect(refusal("taken", allowed) == "conflict")
            try FileManager.default.createSymbolicLink(atPath: dir + "/backups/dangling", withDestinationPath: dir + "/nowhere")
            #expect(refusal("dangling", allowed) == "conflict")
            #expect(refusal("x", []) == "unavailable")
        }
    }
}
