internal import CLMDB

/// A handle to one database (B-tree) inside an `Environment`.
///
/// Obtain it once with `Environment.openDatabase(named:flags:create:)` (or inside a write
/// with `WriteTransaction.openDatabase`) and reuse it for the environment's lifetime; it is a
/// small value, cheap to copy and `Sendable`. A handle used with another environment throws
/// `LMDBError.badDatabase`. Dropping a database (`WriteTransaction.drop`) invalidates every
/// copy of its handle.
public struct Database: Sendable, Hashable {
    /// The name, or `nil` for the main (unnamed) database.
    public let name: String?
    /// The flags it was opened with.
    public let flags: DatabaseFlags
    let dbi: MDB_dbi
    let environmentID: ObjectIdentifier

    init(name: String?, flags: DatabaseFlags, dbi: MDB_dbi, environment: Environment) {
        self.name = name
        self.flags = flags
        self.dbi = dbi
        self.environmentID = ObjectIdentifier(environment)
    }

    /// Key of the environment's handle cache; keeps the main database apart from a named "".
    static func cacheKey(_ name: String?) -> String {
        name.map { "#" + $0 } ?? ""
    }
}

/// Database flags (`mdb_dbi_open`). They are stored with the database and must be given the
/// same way every time it is opened.
public struct DatabaseFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_REVERSEKEY`: compare keys from their last byte to their first.
    public static let reverseKey = DatabaseFlags(rawValue: UInt32(MDB_REVERSEKEY))
    /// `MDB_DUPSORT`: a key may hold several sorted values (each at most 511 bytes).
    public static let dupSort = DatabaseFlags(rawValue: UInt32(MDB_DUPSORT))
    /// `MDB_INTEGERKEY`: keys are native-endian `UInt32` or `UInt64` (all the same size),
    /// compared as integers. For portable ordered integer keys prefer big-endian keys
    /// (`UInt64Key`) in a default database: they also sort numerically and work with prefixes.
    public static let integerKey = DatabaseFlags(rawValue: UInt32(MDB_INTEGERKEY))
    /// `MDB_DUPFIXED`: with `dupSort`, all values of a key have the same size.
    public static let dupFixed = DatabaseFlags(rawValue: UInt32(MDB_DUPFIXED))
    /// `MDB_INTEGERDUP`: with `dupSort`, values are native-endian integers.
    public static let integerDup = DatabaseFlags(rawValue: UInt32(MDB_INTEGERDUP))
    /// `MDB_REVERSEDUP`: with `dupSort`, compare values from their last byte.
    public static let reverseDup = DatabaseFlags(rawValue: UInt32(MDB_REVERSEDUP))
}

/// Flags of a put (`mdb_put` / `mdb_cursor_put`).
public struct PutFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_NOOVERWRITE`: fail with `LMDBError.keyExist` if the key exists.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// `MDB_NODUPDATA` (`dupSort` only): fail with `keyExist` if this key/value pair exists.
    public static let noDupData = PutFlags(rawValue: UInt32(MDB_NODUPDATA))
    /// `MDB_APPEND`: the key sorts after every existing key (fails with `keyExist`
    /// otherwise). Bulk loads of sorted keys, such as an audit log keyed by a growing
    /// big-endian sequence, skip the tree search and fill pages completely.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    /// `MDB_APPENDDUP` (`dupSort` only): the value sorts after the key's existing values.
    public static let appendDup = PutFlags(rawValue: UInt32(MDB_APPENDDUP))
}

/// A key and value copied out of the database (valid after the transaction ends).
public struct KeyValue: Sendable, Hashable {
    public var key: [UInt8]
    public var value: [UInt8]

    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }
}
