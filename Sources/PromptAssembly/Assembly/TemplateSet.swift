import Foundation
import Mustache

/// The Mustache templates of `prompt.templates_dir`, loaded once at start.
///
/// Every `NAME.mustache` file in the directory (not its subdirectories) becomes the template
/// `NAME`; templates may include each other as partials (`{{> system}}`). A template that does
/// not parse is an error at start, with its file name, line and column, not at the first
/// request. Templates should begin with `{{% CONTENT_TYPE: TEXT}}`: Mustache escapes HTML by
/// default, which would turn a memory's `&` into `&amp;` in a prompt.
///
/// What a template sees is listed in ``PromptAssembler/templateContext(request:namespace:memories:)``
/// and in the comment at the top of each shipped template.
public struct TemplateSet: Sendable {
    public let directory: String
    /// Sorted template names.
    public let names: [String]
    private let library: MustacheLibrary

    /// Loads `directory`. - Throws: ``TemplateError`` when it is unreadable, a file does not
    /// parse, or one of `required` is missing.
    public init(directory: String, required: [String]) throws(TemplateError) {
        self.directory = directory
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw .unreadableDirectory(directory, reason: error.localizedDescription)
        }
        var templates: [String: MustacheTemplate] = [:]
        for file in files.sorted() where file.hasSuffix(".mustache") {
            let name = String(file.dropLast(".mustache".count))
            guard Self.isValidName(name) else { continue }
            let path = (directory as NSString).appendingPathComponent(file)
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .unreadableFile(path, reason: error.localizedDescription)
            }
            do {
                templates[name] = try MustacheTemplate(string: text)
            } catch let error as MustacheTemplate.ParserError {
                throw .syntax(path, line: error.context.lineNumber, column: error.context.columnNumber, "\(error.error)")
            } catch {
                throw .syntax(path, line: 0, column: 0, "\(error)")
            }
        }
        for name in required where templates[name] == nil {
            throw .missing(name, directory: directory)
        }
        names = templates.keys.sorted()
        library = MustacheLibrary(templates: templates)
    }

    /// Template names are file names: 1–64 of `[A-Za-z0-9_-]`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }
    }

    public func contains(_ name: String) -> Bool { library.getTemplate(named: name) != nil }

    /// Renders template `name` with `context` (dictionaries, arrays, strings, numbers, Bools).
    /// - Returns: `nil` when there is no such template.
    public func render(_ name: String, _ context: [String: Any]) -> String? {
        library.render(context, withTemplate: name)
    }
}

/// Why the templates cannot be used; descriptions name the file.
public enum TemplateError: Error, Equatable, CustomStringConvertible {
    case unreadableDirectory(String, reason: String)
    case unreadableFile(String, reason: String)
    case syntax(String, line: Int, column: Int, String)
    case missing(String, directory: String)

    public var description: String {
        switch self {
        case .unreadableDirectory(let path, let reason): "cannot read the template directory \(path): \(reason)"
        case .unreadableFile(let path, let reason): "cannot read the template \(path): \(reason)"
        case .syntax(let path, let line, let column, let message): "\(path):\(line):\(column): \(message)"
        case .missing(let name, let directory): "the template '\(name)' (\(name).mustache) is missing from \(directory)"
        }
    }
}
