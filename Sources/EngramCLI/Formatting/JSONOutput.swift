import Foundation
import MemoryClient
import EngramAPI

/// `--json` output: the API's own JSON for each object (snake-case keys, ISO 8601 dates with
/// milliseconds, sorted keys), one document per command, so scripts can use `jq` on it the way
/// they would on `curl` output.
enum JSONOutput {
    /// Accepts what `WireJSON.encoder()` writes and plain ISO 8601 without fractional seconds.
    /// Not `WireJSON.decoder()`: that one memoizes dates for one response, and `import` decodes
    /// a whole file with one decoder, where the memo would grow with every distinct date.
    static func decoder() -> JSONDecoder { RequestJSON.decoder() }

    /// One line of JSON for `value`. - Throws: ``CLIFailure`` (never expected: the API types
    /// always encode).
    static func line<Value: Encodable>(_ value: Value) throws -> String {
        do {
            return String(decoding: try WireJSON.encoder().encode(value), as: UTF8.self)
        } catch {
            throw CLIFailure(.error, "cannot encode the result as JSON: \(error)")
        }
    }
}
