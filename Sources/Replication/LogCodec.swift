import Foundation
public import MemoryStore

/// A log message's payload: `[format: UInt8 = 1][JSON of the StoreOperation]`.
///
/// JSON because the operations already are (entries and events are JSON records) and an
/// operator can read a message with `nats stream get`; vectors are short beside the rest of
/// an entry. Decoding is strict about the envelope and trusts nothing in it: a message that
/// does not decode is reported, and the store validates every field it applies.
public enum LogCodec {
    static let format: UInt8 = 1

    public static func encode(_ operation: StoreOperation) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [format] + Array(try encoder.encode(operation))
    }

    /// - Throws: ``ReplicationError/unreadableMessage(sequence:detail:)``.
    public static func decode(_ bytes: [UInt8], sequence: UInt64) throws -> StoreOperation {
        guard let first = bytes.first else { throw ReplicationError.unreadableMessage(sequence: sequence, detail: "empty") }
        guard first == format else {
            throw ReplicationError.unreadableMessage(sequence: sequence, detail: "format \(first), expected \(format)")
        }
        do {
            return try JSONDecoder().decode(StoreOperation.self, from: Data(bytes[1...]))
        } catch {
            throw ReplicationError.unreadableMessage(sequence: sequence, detail: "\(error)".prefix(300).description)
        }
    }
}
