import Foundation
@testable import MemoryStore
import Testing

@Suite struct EmptyDataFileTests {
    @Test func aStoreWhoseDataFileWasEmptiedIsRefusedNotRecreated() throws {
        try withTemporaryDirectory { dir in
            do {
                let store = try openStore(dir)
                try fill(store, count: 3)
            }
            #expect(truncate(dataFile(dir), 0) == 0)
            #expect {
                _ = try MemoryStore(path: dir + "/store")
            } throws: { error in
                "\(error)".contains("data.mdb is empty")
            }
            // Still empty: nothing was initialised over it.
            #expect(try FileManager.default.attributesOfItem(atPath: dataFile(dir))[.size] as? Int == 0)
        }
    }

    @Test func aNewDirectoryStillMakesANewStore() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            #expect(try store.lastSequence == 0)
        }
    }
}
