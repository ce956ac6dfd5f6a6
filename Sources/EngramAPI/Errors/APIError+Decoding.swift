import EngramJSON
import Foundation

extension APIError {
    /// The API error for a strict decoder's failure: the field's dotted path and what was
    /// wrong with it (missing, null, mistyped, unknown, or not JSON at all).
    public init(decoding error: DecodingError) {
        self = Self.mapped(error)
    }

    private static func mapped(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            if keys.isEmpty { return "$" }
            return keys.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(path(context.codingPath, key))
        case .valueNotFound(_, let context):
            return .invalidField(path(context.codingPath), "null is not allowed here")
        case .typeMismatch(let type, let context):
            return .invalidField(path(context.codingPath), "expected \(describe(type))")
        case .dataCorrupted(let context):
            if let unknown = context.underlyingError as? UnknownFieldError {
                return .unknownField(unknown.path)
            }
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return .malformedJSON(detail ?? context.debugDescription)
            }
            return .invalidField(path(context.codingPath), context.debugDescription)
        @unknown default:
            return .malformedJSON("\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type, is UInt32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a value of type \(name)"
        }
    }
}
