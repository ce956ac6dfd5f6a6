internal import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error reported by LMDB, or by this wrapper on LMDB's behalf.
///
/// `code` is the C return code: LMDB's own codes are negative (`MDB_NOTFOUND`, `MDB_MAP_FULL`…),
/// positive codes are `errno` values (`ENOSPC`, `EACCES`…). `message` is `mdb_strerror(code)`.
/// `context` says which operation failed and, where the wrapper knows more, why.
///
/// Equality and hashing use `code` only, so callers can test for a kind of failure:
/// ```swift
/// do { try env.write { … } }
/// catch LMDBError.mapFull { … }             // pattern match against any Error
/// #expect(throws: LMDBError.keyExist) { … } // in tests
/// ```
public struct LMDBError: Error, CustomStringConvertible, Hashable, Sendable {
    /// The C return code (`MDB_*` error or `errno`).
    public let code: Int32
    /// `mdb_strerror(code)`: LMDB's text for its own codes, `strerror` for `errno` values.
    public let message: String
    /// The failing operation and any detail the wrapper adds (e.g. "mdb_put", "map at maximum").
    public let context: String?

    /// Makes an error for `code`, looking up its message with `mdb_strerror`.
    public init(code: Int32, context: String? = nil) {
        self.code = code
        if let text = mdb_strerror(code) {
            self.message = String(cString: text)
        } else {
            self.message = "unknown error \(code)"
        }
        self.context = context
    }

    /// The same error with a different `context`.
    public func with(context: String) -> LMDBError {
        LMDBError(code: code, context: context)
    }

    public var description: String {
        if let context {
            return "LMDBError(\(code)): \(message) [\(context)]"
        }
        return "LMDBError(\(code)): \(message)"
    }

    public static func == (lhs: LMDBError, rhs: LMDBError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// Lets `catch LMDBError.notFound` and `case LMDBError.mapFull` match any thrown error.
    public static func ~= (pattern: LMDBError, value: any Error) -> Bool {
        (value as? LMDBError)?.code == pattern.code
    }

    // MARK: LMDB's own codes

    /// `MDB_KEYEXIST`: `noOverwrite`/`noDupData` put found the key, or `append` was out of order.
    public static let keyExist = LMDBError(code: MDB_KEYEXIST)
    /// `MDB_NOTFOUND`: no such key, or the cursor is at the end. Reads return `nil` instead.
    public static let notFound = LMDBError(code: MDB_NOTFOUND)
    /// `MDB_PAGE_NOTFOUND`: a referenced page is missing (damaged file).
    public static let pageNotFound = LMDBError(code: MDB_PAGE_NOTFOUND)
    /// `MDB_CORRUPTED`: a page has the wrong type, or the data file is shorter than its meta
    /// page says (the wrapper checks this at open).
    public static let corrupted = LMDBError(code: MDB_CORRUPTED)
    /// `MDB_PANIC`: a fatal error earlier left the environment unusable; reopen it.
    public static let panic = LMDBError(code: MDB_PANIC)
    /// `MDB_VERSION_MISMATCH`: the file was written by an incompatible LMDB format version.
    public static let versionMismatch = LMDBError(code: MDB_VERSION_MISMATCH)
    /// `MDB_INVALID`: the file is not an LMDB data file (bad magic or meta page).
    public static let invalid = LMDBError(code: MDB_INVALID)
    /// `MDB_MAP_FULL`: the map is full and could not grow (maximum size reached, or growth
    /// was impossible at that moment; `context` says which).
    public static let mapFull = LMDBError(code: MDB_MAP_FULL)
    /// `MDB_DBS_FULL`: more named databases than `EnvironmentOptions.maxDatabases`.
    public static let databasesFull = LMDBError(code: MDB_DBS_FULL)
    /// `MDB_READERS_FULL`: more concurrent read transactions than `maxReaders`.
    public static let readersFull = LMDBError(code: MDB_READERS_FULL)
    /// `MDB_TXN_FULL`: one transaction dirtied too many pages; split the batch.
    public static let transactionFull = LMDBError(code: MDB_TXN_FULL)
    /// `MDB_CURSOR_FULL`: internal cursor stack too deep (damaged file or LMDB bug).
    public static let cursorFull = LMDBError(code: MDB_CURSOR_FULL)
    /// `MDB_PAGE_FULL`: internal page has no room (LMDB bug or damaged file).
    public static let pageFull = LMDBError(code: MDB_PAGE_FULL)
    /// `MDB_MAP_RESIZED`: another process grew the map beyond this one's; the wrapper adopts
    /// the new size itself, so callers see this only when adoption was impossible.
    public static let mapResized = LMDBError(code: MDB_MAP_RESIZED)
    /// `MDB_INCOMPATIBLE`: database flags differ from the stored ones, or the operation does
    /// not suit the database (e.g. a duplicate operation without `dupSort`).
    public static let incompatible = LMDBError(code: MDB_INCOMPATIBLE)
    /// `MDB_BAD_RSLOT`: a reader slot was misused.
    public static let badReaderSlot = LMDBError(code: MDB_BAD_RSLOT)
    /// `MDB_BAD_TXN`: the transaction has ended (used outside its closure) or had an error.
    public static let badTransaction = LMDBError(code: MDB_BAD_TXN)
    /// `MDB_BAD_VALSIZE`: empty key, key longer than 511 bytes, or a bad `dupFixed` size.
    public static let badValueSize = LMDBError(code: MDB_BAD_VALSIZE)
    /// `MDB_BAD_DBI`: the `Database` handle belongs to another environment or was dropped.
    public static let badDatabase = LMDBError(code: MDB_BAD_DBI)

    // MARK: errno values callers commonly test

    /// `EDEADLK`: the call would deadlock this thread (e.g. `write` inside a `write` closure);
    /// the wrapper refuses instead of hanging.
    public static let wouldDeadlock = LMDBError(code: EDEADLK)
    /// `ENOSPC`: the disk (or file-size limit) is full.
    public static let noSpace = LMDBError(code: ENOSPC)
    /// `EACCES`: permission denied, or a write on a read-only environment.
    public static let accessDenied = LMDBError(code: EACCES)
    /// `ENOENT`: the path does not exist (e.g. a read-only open of a missing environment).
    public static let noSuchFile = LMDBError(code: ENOENT)
    /// `EINVAL`: an invalid argument or state.
    public static let invalidArgument = LMDBError(code: EINVAL)
    /// `EBUSY`: the environment is already open in this process; share that instance.
    public static let busy = LMDBError(code: EBUSY)
    /// `EEXIST`: the destination already exists (e.g. the target of `copy(to:)`).
    public static let fileExists = LMDBError(code: EEXIST)
}

/// Throws an `LMDBError` for a nonzero LMDB return code.
@inline(__always)
func check(_ rc: Int32, _ context: @autoclosure () -> String) throws(LMDBError) {
    if rc != MDB_SUCCESS {
        throw LMDBError(code: rc, context: context())
    }
}
