internal import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What ``Environment/checkPageStructure(maxProblems:)`` found.
public struct PageStructureReport: Sendable, Equatable {
    /// One line per damaged page, at most `maxProblems`.
    public var problems: [String] = []
    /// Databases (by name; `""` is the main database, `"(free list)"` the free list) with at
    /// least one damaged page: LMDB must not walk them.
    public var damagedDatabases: Set<String> = []
    /// Pages read.
    public var pagesChecked = 0

    public var isIntact: Bool { problems.isEmpty }
}

/// Reads the data file's B-trees with `pread`, page by page, without LMDB.
///
/// Why: LMDB trusts its pages. A zeroed or overwritten page makes it abort the process
/// (`mdb_cassert`, e.g. "Assertion 'IS_LEAF(mp)' failed") instead of returning an error, so a
/// `verify` that walks a damaged tree through LMDB dies instead of reporting. This walker
/// checks every reachable page's header and node layout against LMDB's on-disk format
/// (mdb.c, 64-bit) and can hand out the records of the leaves it could read, so that
/// `verify` reports the damage and `salvage` copies what is left.
///
/// Format facts used: a page starts with a 16-byte header (page number, flags at 10, lower
/// and upper bounds at 12 and 14, or for an overflow run its page count at 12); pointers to
/// nodes follow; a node is 8 bytes (data size or child page in `lo`, `hi` and, for branch
/// nodes, `flags`; key size) then the key and the data. Meta pages 0 and 1 hold the free
/// list's and the main database's records (48 bytes each, the free list's first word is the
/// page size), the last page number and the transaction id.
struct PageWalker {
    static let headerSize = 16
    static let nodeHeaderSize = 8
    static let branch: UInt16 = 0x01, leaf: UInt16 = 0x02, overflow: UInt16 = 0x04, meta: UInt16 = 0x08, leaf2: UInt16 = 0x20
    static let bigData: UInt16 = 0x01, subData: UInt16 = 0x02
    static let invalidPage = UInt64.max
    static let magic: UInt32 = 0xBEEF_C0DE
    /// Deeper than any real tree (LMDB's cursors stop at 32 levels).
    static let maxDepth = 32

    /// A database record (`MDB_db`): only the root matters here.
    struct DatabaseRecord {
        var root: UInt64
        var flags: UInt16
        /// Levels of the tree (`md_depth`): every leaf sits at `depth - 1` below the root.
        var depth: Int
    }

    let fd: Int32
    let pageSize: Int
    let lastPage: UInt64
    let freeList: DatabaseRecord
    let main: DatabaseRecord
    var report = PageStructureReport()
    let maxProblems: Int
    private var visited = Set<UInt64>()

    /// Reads the meta page of transaction `txnid` (the newer one when it is `nil` or neither
    /// matches).
    init(fd: Int32, txnid: UInt64?, maxProblems: Int) throws(LMDBError) {
        self.fd = fd
        self.maxProblems = maxProblems
        typealias Meta = (txnid: UInt64, pageSize: Int, last: UInt64, free: DatabaseRecord, main: DatabaseRecord)
        func meta(at offset: Int) -> Meta? {
            guard let page = Self.read(fd, offset: offset, count: 160), page.count == 160 else { return nil }
            func u16(_ at: Int) -> UInt16 { page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt16.self) } }
            func u32(_ at: Int) -> UInt32 { page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) } }
            func u64(_ at: Int) -> UInt64 { page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) } }
            guard u16(10) & Self.meta != 0, u32(16) == Self.magic else { return nil }
            let size = Int(u32(40))
            guard size >= 512, size <= 65536, size & (size - 1) == 0 else { return nil }
            return (u64(144), size, u64(136), DatabaseRecord(root: u64(40 + 40), flags: u16(44), depth: Int(u16(46))),
                    DatabaseRecord(root: u64(88 + 40), flags: u16(92), depth: Int(u16(94))))
        }
        // Meta page 1 starts one page in: at page 0's page size, or 4 KiB when page 0 is damaged.
        let first = meta(at: 0)
        let metas = [first, meta(at: first?.pageSize ?? 4096)].compactMap { $0 }
        guard let chosen = metas.first(where: { $0.txnid == txnid }) ?? metas.max(by: { $0.txnid < $1.txnid }) else {
            throw LMDBError.invalid.with(context: "no valid meta page")
        }
        pageSize = chosen.pageSize
        lastPage = chosen.last
        freeList = chosen.free
        main = chosen.main
    }

    static func read(_ fd: Int32, offset: Int, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        guard got >= 0 else { return nil }
        return Array(bytes.prefix(got))
    }

    mutating func problem(_ database: String, _ text: String) {
        report.damagedDatabases.insert(database)
        if report.problems.count < maxProblems {
            report.problems.append("database \(database.isEmpty ? "(main)" : "\"\(database)\""): \(text)")
        }
    }

    /// A page of `database`, checked, or `nil` (reported) when it is not a valid page.
    mutating func page(_ number: UInt64, of database: String) -> [UInt8]? {
        guard number >= 2, number <= lastPage, let page = Int(exactly: number) else {
            problem(database, "a reference to page \(number), outside 2…\(lastPage)")
            return nil
        }
        let (offset, overflow) = page.multipliedReportingOverflow(by: pageSize)
        guard !overflow, let bytes = Self.read(fd, offset: offset, count: pageSize), bytes.count == pageSize else {
            problem(database, "page \(number) cannot be read (the file is shorter)")
            return nil
        }
        report.pagesChecked += 1
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self) }
        guard stored == number else {
            problem(database, "page \(number) is labelled page \(stored) (zeroed or overwritten)")
            return nil
        }
        return bytes
    }

    /// Walks `record`'s tree, checking every page; `visit` gets each readable leaf record
    /// (key, value; big values read from their overflow pages).
    mutating func walk(_ record: DatabaseRecord, named database: String,
                       visit: (_ key: [UInt8], _ value: [UInt8], _ flags: UInt16) -> Void) {
        guard record.root != Self.invalidPage else { return }
        guard (1...Self.maxDepth).contains(record.depth) else {
            return problem(database, "the tree claims \(record.depth) levels")
        }
        walkPage(record.root, named: database, depth: 0, levels: record.depth, visit: visit)
    }

    /// LMDB asserts (aborts) when a cursor meets a page of the wrong kind for its level or a
    /// branch page with fewer than two children outside the free list: both are checked here.
    private mutating func walkPage(_ number: UInt64, named database: String, depth: Int, levels: Int,
                                   visit: (_ key: [UInt8], _ value: [UInt8], _ flags: UInt16) -> Void) {
        guard depth < levels else { return problem(database, "page \(number) lies deeper than the tree's \(levels) levels") }
        guard visited.insert(number).inserted else { return problem(database, "page \(number) is reached twice") }
        guard let bytes = page(number, of: database) else { return }
        bytes.withUnsafeBytes { raw in
            let flags = raw.loadUnaligned(fromByteOffset: 10, as: UInt16.self)
            let lower = Int(raw.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
            let upper = Int(raw.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
            guard flags & (Self.branch | Self.leaf) != 0, flags & (Self.branch | Self.leaf) != (Self.branch | Self.leaf),
                  flags & (Self.overflow | Self.meta) == 0 else {
                return problem(database, "page \(number) has flags 0x\(String(flags, radix: 16)), not a branch or leaf")
            }
            guard lower >= Self.headerSize, lower <= upper, upper <= pageSize, (lower - Self.headerSize) % 2 == 0 else {
                return problem(database, "page \(number) has bounds \(lower)…\(upper)")
            }
            let isLeaf = flags & Self.leaf != 0
            guard isLeaf == (depth == levels - 1) else {
                return problem(database, "page \(number) is a \(isLeaf ? "leaf" : "branch") at level \(depth) of \(levels)")
            }
            if flags & Self.leaf2 != 0 { return }  // fixed-size keys, no nodes (not used by Engram)
            let count = (lower - Self.headerSize) / 2
            guard isLeaf || count >= 2 || database == "(free list)" else {
                return problem(database, "branch page \(number) has \(count) children")
            }
            for index in 0..<count {
                let offset = Int(raw.loadUnaligned(fromByteOffset: Self.headerSize + 2 * index, as: UInt16.self))
                guard offset >= upper, offset + Self.nodeHeaderSize <= pageSize else {
                    return problem(database, "page \(number): node \(index) at \(offset), outside \(upper)…\(pageSize)")
                }
                let lo = UInt64(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                let hi = UInt64(raw.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self))
                let nodeFlags = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
                let keySize = Int(raw.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self))
                let keyStart = offset + Self.nodeHeaderSize
                guard keyStart + keySize <= pageSize else {
                    return problem(database, "page \(number): node \(index)'s key runs past the page")
                }
                if flags & Self.branch != 0 {
                    walkPage(lo | hi << 16 | UInt64(nodeFlags) << 32, named: database, depth: depth + 1, levels: levels,
                             visit: visit)
                    continue
                }
                let key = Array(UnsafeRawBufferPointer(rebasing: raw[keyStart..<(keyStart + keySize)]))
                let dataStart = keyStart + keySize
                let dataSize = Int(lo | hi << 16)
                if nodeFlags & Self.bigData != 0 {
                    guard dataStart + 8 <= pageSize else {
                        return problem(database, "page \(number): node \(index)'s overflow reference runs past the page")
                    }
                    let first = raw.loadUnaligned(fromByteOffset: dataStart, as: UInt64.self)
                    if let value = overflowValue(first, size: dataSize, of: database) { visit(key, value, nodeFlags) }
                } else {
                    guard dataStart + dataSize <= pageSize else {
                        return problem(database, "page \(number): node \(index)'s value runs past the page")
                    }
                    visit(key, Array(UnsafeRawBufferPointer(rebasing: raw[dataStart..<(dataStart + dataSize)])), nodeFlags)
                }
            }
        }
    }

    /// The `size` bytes of the overflow run starting at page `first`, or `nil` (reported).
    private mutating func overflowValue(_ first: UInt64, size: Int, of database: String) -> [UInt8]? {
        guard let head = page(first, of: database) else { return nil }
        let flags = head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 10, as: UInt16.self) }
        let pages = UInt64(head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self) })
        // A run holds at least the pages its value needs (LMDB's OVPAGES), inside the file.
        // LMDB may keep a longer run when it rewrote a value shorter in place; never shorter.
        let needed = UInt64((size + Self.headerSize + pageSize - 1) / pageSize)
        guard flags & Self.overflow != 0, pages >= needed, pages - 1 <= lastPage,
              first <= lastPage - (pages - 1) else {
            problem(database, "overflow page \(first) has flags 0x\(String(flags, radix: 16)) and \(pages) pages for \(size) bytes")
            return nil
        }
        report.pagesChecked += Int(pages) - 1
        guard let bytes = Self.read(fd, offset: Int(first) * pageSize + Self.headerSize, count: size), bytes.count == size else {
            problem(database, "overflow page \(first) cannot be read")
            return nil
        }
        return bytes
    }

    /// Walks the free list, the main database and every named database it lists.
    mutating func checkEverything() -> PageStructureReport {
        walk(freeList, named: "(free list)") { _, _, _ in }
        var named: [(String, DatabaseRecord)] = []
        walk(main, named: "") { key, value, flags in
            if flags & Self.subData != 0, let record = Self.databaseRecord(value) {
                named.append((String(decoding: key, as: UTF8.self), record))
            }
        }
        for (name, record) in named { walk(record, named: name) { _, _, _ in } }
        return report
    }

    /// A database record stored as a main-database value (`F_SUBDATA`).
    static func databaseRecord(_ value: [UInt8]) -> DatabaseRecord? {
        guard value.count >= 48 else { return nil }
        return value.withUnsafeBytes { DatabaseRecord(root: $0.loadUnaligned(fromByteOffset: 40, as: UInt64.self),
                                                      flags: $0.loadUnaligned(fromByteOffset: 4, as: UInt16.self),
                                                      depth: Int($0.loadUnaligned(fromByteOffset: 6, as: UInt16.self))) }
    }
}

extension Environment {
    /// The data file's path.
    var dataFilePath: String { options.usesSubdirectory ? path + "/data.mdb" : path }

    /// Checks every page reachable from the current meta page — the main database, every
    /// named database and the free list — without LMDB (see ``PageWalker``), inside a read
    /// transaction so that no page it walks is reused meanwhile. Databases listed in
    /// `damagedDatabases` must not be read through LMDB, which would abort the process.
    /// - Complexity: O(used pages), one `pread` each.
    public func checkPageStructure(maxProblems: Int = 100) throws -> PageStructureReport {
        try withPageWalker(maxProblems: maxProblems) { walker in walker.checkEverything() }
    }

    /// ``checkPageStructure(maxProblems:)`` of the environment directory (or data file)
    /// `path` that nobody has open: what to run before opening a store that may be damaged,
    /// since opening one already reads its main database through LMDB.
    public static func checkPageStructure(atPath path: String, maxProblems: Int = 100) throws -> PageStructureReport {
        try withDataFile(atPath: path) { fd in
            var walker = try PageWalker(fd: fd, txnid: nil, maxProblems: maxProblems)
            return walker.checkEverything()
        }
    }

    /// Every record of database `name` that can be read from the environment at `path`
    /// (directory or data file), which nobody may have open, in tree order, whatever the state
    /// of the rest of the file; what `salvage` reads a damaged store with, since LMDB would
    /// abort on a damaged page. Returns the problems met (damaged pages are skipped with
    /// their records). O(pages of the main database and of `name`).
    public static func readableRecords(atPath path: String, of name: String,
                                       _ body: (_ key: [UInt8], _ value: [UInt8]) -> Void) throws -> [String] {
        try withDataFile(atPath: path) { fd in
            var walker = try PageWalker(fd: fd, txnid: nil, maxProblems: 1000)
            var record: PageWalker.DatabaseRecord?
            walker.walk(walker.main, named: "") { key, value, flags in
                if flags & PageWalker.subData != 0, String(decoding: key, as: UTF8.self) == name {
                    record = PageWalker.databaseRecord(value)
                }
            }
            if let record { walker.walk(record, named: name) { key, value, _ in body(key, value) } }
            return walker.report.problems
        }
    }

    /// Runs `body` with a read-only descriptor of the data file of the environment at `path`
    /// (a directory holding `data.mdb`, or the data file itself).
    private static func withDataFile<R>(atPath path: String, _ body: (Int32) throws -> R) throws -> R {
        var status = stat()
        let file = stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR ? path + "/data.mdb" : path
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LMDBError(code: errno, context: "open(\(file))") }
        defer { close(fd) }
        return try body(fd)
    }

    private func withPageWalker<R>(maxProblems: Int, _ body: (inout PageWalker) throws -> R) throws -> R {
        try Self.withDataFile(atPath: dataFilePath) { fd in
            try read { txn in
                var walker = try PageWalker(fd: fd, txnid: UInt64(mdb_txn_id(try txn.liveHandle())), maxProblems: maxProblems)
                return try body(&walker)
            }
        }
    }
}
