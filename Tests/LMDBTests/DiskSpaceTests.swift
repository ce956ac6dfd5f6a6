#if canImport(Glibc)
import Glibc
#endif
import LMDB
import Testing

@Suite struct DiskSpaceTests {
    @Test func aShortWriteIsAFullDiskOnlyWhenTheDiskIsNearlyFull() {
        let io = LMDBError(code: EIO, context: "mdb_txn_commit")
        // /tmp has room here: an I/O error there stays an I/O error.
        if let free = DiskSpace.availableBytes(at: "/tmp"), free >= DiskSpace.nearlyFullBytes {
            #expect(DiskSpace.explaining(io, at: "/tmp") == io)
        }
        // ENOSPC is always a full disk, and says which.
        let full = DiskSpace.explaining(LMDBError(code: ENOSPC, context: "mdb_txn_commit"), at: "/tmp")
        #expect(full == LMDBError.noSpace)
        #expect(full.context?.contains("is full") == true)
        // Other errors pass through.
        #expect(DiskSpace.explaining(LMDBError.mapFull, at: "/tmp") == LMDBError.mapFull)
        #expect(DiskSpace.availableBytes(at: "/no/such/path") == nil)
    }
}
