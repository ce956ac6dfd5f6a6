import EngramAPI
import EngramJSON
import Foundation

/// A body that rejects unknown keys, for exercising strict decoding.
struct ProbeBody: Decodable {
    let name: String
    let count: Int

    enum CodingKeys: String, CodingKey, CaseIterable { case name, count }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        count = try container.decode(Int.self, forKey: .count)
    }
}
