import Foundation
import LMDB
import Testing

@Suite struct MultiProcessTests {
    /// Another process grows the map past ours and commits data beyond our mapping; the
    /// next transaction here gets MDB_MAP_RESIZED, adopts the new size and reads the data.
    @Test func mapGrownByAnotherProcessIsAdopted() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.mapSize = 64 << 10
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase(named: nil)
            try env.write { try $0.put(b("small"), forKey: b("a"), in: db) }
            let big = pseudoRandomBytes(count: 4 << 20, seed: 9)
            try spawnWriter(path: dir, mapSize: 64 << 20, key: b("big"), value: big)
            #expect(try env.read { try $0.get(b("big"), in: db) } == big)
            #expect(try env.info().mapSize >= 4 << 20)
            try env.write { try $0.put(b("after"), forKey: b("c"), in: db) }
            #expect(try env.read { try $0.count(in: db) } == 3)
        }
    }

    /// A process killed while it holds a read transaction leaves a reader slot behind;
    /// the stale-reader check frees it.
    @Test func staleReaderOfKilledProcessIsCleared() throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: nil)
            try env.write { try $0.put(b("v"), forKey: b("k"), in: db) }

            let child = try spawnReader(path: dir)
            #expect(try env.info().activeReaders == 1)
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            #expect(try env.info().activeReaders == 1)  // the dead reader's slot is still taken
            #expect(try env.checkStaleReaders() == 1)
            #expect(try env.info().activeReaders == 0)
            #expect(try env.checkStaleReaders() == 0)
        }
    }

    /// At open: the check matters when other processes keep the environment open (the first
    /// process to open it resets the reader table anyway). A live reader keeps it open while
    /// a second reader dies.
    @Test func staleReaderClearedAtOpen() throws {
        try withTemporaryDirectory { dir in
            do {
                let env = try Environment(path: dir)
                let db = try env.openDatabase(named: nil)
                try env.write { try $0.put(b("v"), forKey: b("k"), in: db) }
            }
            let survivor = try spawnReader(path: dir)
            defer {
                kill(survivor, SIGKILL)
                var status: Int32 = 0
                waitpid(survivor, &status, 0)
            }
            let victim = try spawnReader(path: dir)
            kill(victim, SIGKILL)
            var status: Int32 = 0
            waitpid(victim, &status, 0)
            let env = try Environment(path: dir)
            #expect(env.staleReadersClearedAtOpen == 1)
            #expect(try env.info().activeReaders == 1)
        }
    }
}
