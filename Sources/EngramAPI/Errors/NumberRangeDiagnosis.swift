
import EngramJSON

/// Names the field of a number that does not fit it.
///
/// Foundation's `JSONDecoder` reports a number that its field cannot hold (`"k": 2^63`,
/// `"version": -1`, `1e309`) as "the given data was not valid JSON", at the root, with no
/// path. A client then hunts for a syntax error that is not there. The body's syntax is checked
/// before decoding, so the failure can only be such a number: this says so, and names the first
/// number that no integer field takes (negative, fractional or past 2^63) when there is one.
enum NumberRangeDiagnosis {
    /// `error`, the decoder's verdict on `body`, made precise: a `malformed_json` becomes
    /// `invalid_field`; anything else stands. O(body) for a `malformed_json`, O(1) otherwise.
    /// - Precondition: `body` passed ``JSONSyntax/failure(_:)`` (both decode paths check it
    ///   before decoding), so the decoder's complaint cannot be about syntax.
    static func refined(_ error: APIError, body: UnsafeRawBufferPointer) -> APIError {
        guard error.code == "malformed_json" else { return error }
        var reader = JSONReader(body)
        reader.skipWhitespace()
        let path = (try? reader.value()).flatMap { firstSuspect(in: $0, path: "") } ?? "$"
        return .invalidField(path, "a number is out of range for this field (integer fields take whole numbers "
                             + "from 0 below 2^63 unless documented otherwise; numbers must be finite)")
    }

    /// The path of the first number (in key order) that is negative, fractional or at least 2^63.
    static func firstSuspect(in value: JSONValue, path: String) -> String? {
        switch value {
        case .number(let number):
            let fits = number.isFinite && number >= 0 && number < 0x1p63 && number.rounded() == number
            return fits ? nil : (path.isEmpty ? "$" : path)
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = firstSuspect(in: element, path: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for key in members.keys.sorted() {
                if let found = firstSuspect(in: members[key]!, path: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
            return nil
        case .null, .bool, .string:
            return nil
        }
    }
}
