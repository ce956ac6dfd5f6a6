import Foundation
import LMDB
import Testing

@Suite struct DurabilityTests {
    @Test(arguments: [Durability.sync, Durability.relaxed])
    func commitsSurviveReopen(durability: Durability) throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.durability = durability
            do {
                let env = try Environment(path: dir, options: options)
                let db = try env.openDatabase(named: "entries")
                for i in 0..<20 as Range<UInt64> {
                    try env.write { try $0.put(UInt64Key(i), forKey: UInt64Key(i), in: db) }
                }
                try env.sync(force: true)
            }
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase(named: "entries", create: false)
            #expect(try env.read { try $0.count(in: db) } == 20)
        }
    }
}
