import Foundation
import MemoryStore

/// Opening a data directory for the offline (`--data`) form of an operator command.
enum OfflineStore {
    /// Opens the store in `path`, which must already hold one: `MemoryStore(path:)` would create
    /// an empty store in a mistyped directory, and verifying or backing up an empty store
    /// would report success on the wrong thing.
    ///
    /// - Parameter loadIndexes: `false` opens without restoring the graphs
    ///   (`MemoryStoreOptions.loadIndexes`): what a rebuild needs, and the only way to open a
    ///   store whose graph records are damaged.
    /// - Throws: ``CLIFailure``: `notFound` when there is no store; `conflict` when a daemon
    ///   holds it (the store's process lock); the store's own errors otherwise.
    static func open(_ path: String, loadIndexes: Bool = true) throws(CLIFailure) -> MemoryStore {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
              FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("data.mdb")) else {
            throw CLIFailure(.notFound, code: "not_found", "no Engram store in \(path) (expected \(path)/data.mdb)")
        }
        do {
            var options = MemoryStoreOptions()
            options.loadIndexes = loadIndexes
            return try MemoryStore(path: path, options: options)
        } catch {
            throw CLIFailure(store: error, path: path)
        }
    }

    /// Runs a store operation, mapping its errors like ``open(_:)`` does.
    static func run<Value>(_ path: String, _ body: () throws -> Value) throws(CLIFailure) -> Value {
        do {
            return try body()
        } catch {
            throw CLIFailure(store: error, path: path)
        }
    }

    /// Total size of the regular files under `path`, for backup reports.
    static func size(of path: String) -> Int {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        for case let name as String in enumerator {
            let attributes = try? FileManager.default.attributesOfItem(atPath: (path as NSString).appendingPathComponent(name))
            if attributes?[.type] as? FileAttributeType == .typeRegular {
                total += (attributes?[.size] as? NSNumber)?.intValue ?? 0
            }
        }
        return total
    }

    /// `path` made absolute against the current directory (the daemon resolves paths against
    /// its own working directory, which may differ from the operator's).
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }
}
