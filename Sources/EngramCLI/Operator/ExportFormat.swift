import EngramAPI
import EngramJSON
import Foundation

/// The JSON Lines format of `engram export` / `engram import`. Each line is one JSON object of
/// one of three kinds:
///
/// - **an entry**: exactly the JSON of ``ExportedEntry`` — every field of the entry (`id`,
///   `namespace`, `text`, `tags`, `metadata`, `source`, `confidence`, `evidence`, `pinned`,
///   `created_at`, `updated_at`, `last_used_at`, `use_count`, `version`, `expires_at`,
///   `occurred_at`, `valid_from`, `valid_to`, `thread`, `position`) plus `vector_b64`
///   (little-endian float32, base64);
/// - **`{"namespace_config": {...}}`**: written before a namespace's entries, with its dimension,
///   metric, HNSW parameters and lexical, search and learning settings (older exports have neither: the
///   defaults then), so that importing into an empty store recreates the
///   namespace as it was (import creates it; an existing one with the same configuration is
///   kept, a different one is a conflict reported on that line);
/// - **`{"rejected_claim": {...}, "namespace": NS}`**: a rejected claim whose holder is gone
///   (a forgotten entry's), which no entry line carries, with its holder's `entry_id`; written
///   after its namespace's entries; import stores it under that id;
/// - **`{"audit_event": {...}}`** (with `export --audit`): one audit event, for archives and
///   other tools. Import skips these lines and counts them: the target store writes its own
///   audit events (`created` with actor `import`), and its sequence numbers cannot be set.
enum ExportFormat {
    /// A namespace's fixed configuration as it travels in a `namespace_config` line.
    struct NamespaceConfigLine: Codable, Equatable {
        var name: String
        var dimension: Int
        var metric: Metric
        var parameters: HNSWParametersInput?
        var embedder_id: String?
        var lexical: LexicalOptions?
        var search: SearchDefaults?
        var learning: LearningPolicy?

        init(name: String, dimension: Int, metric: Metric, parameters: HNSWParametersInput, embedderID: String?,
             lexical: LexicalOptions?, search: SearchDefaults?, learning: LearningPolicy? = nil) {
            self.learning = learning
            self.name = name
            self.dimension = dimension
            self.metric = metric
            self.parameters = parameters
            embedder_id = embedderID
            self.lexical = lexical
            self.search = search
        }

        /// The request that recreates the namespace; parameters and settings a hand-written (or
        /// older) line leaves out take the daemon's defaults.
        var request: NamespaceRequest {
            NamespaceRequest(dimension: dimension, metric: metric, parameters: parameters, lexical: lexical, search: search,
                             learning: learning)
        }
    }

    struct NamespaceLine: Encodable {
        var namespace_config: NamespaceConfigLine
    }

    struct AuditLine: Encodable {
        var audit_event: AuditEvent
    }

    /// A rejected claim whose holder is gone (no entry line carries it), with its namespace.
    struct ClaimLine: Codable {
        var rejected_claim: ExportedClaim
        var namespace: String?
    }

    /// One parsed import line.
    enum Line: Decodable {
        case entry(ExportedEntry)
        case namespace(NamespaceConfigLine)
        case auditEvent
        case claim(ExportedClaim, namespace: String?)

        enum Keys: String, CodingKey {
            case namespaceConfig = "namespace_config"
            case auditEvent = "audit_event"
            case rejectedClaim = "rejected_claim"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            if container.contains(.auditEvent) {
                self = .auditEvent
            } else if container.contains(.rejectedClaim) {
                let line = try ClaimLine(from: decoder)
                self = .claim(line.rejected_claim, namespace: line.namespace)
            } else if container.contains(.namespaceConfig) {
                self = .namespace(try container.decode(NamespaceConfigLine.self, forKey: .namespaceConfig))
            } else {
                self = .entry(try ExportedEntry(from: decoder))
            }
        }
    }

    /// Parses one line. - Throws: a message saying what is wrong with it.
    static func parse(_ bytes: ArraySlice<UInt8>, decoder: JSONDecoder) throws(CLIFailure) -> Line {
        do {
            return try decoder.decode(Line.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw CLIFailure(.invalidInput, code: "invalid_line", describe(error))
        } catch let error as UnknownFieldError {
            throw CLIFailure(.invalidInput, code: "invalid_line", "unknown field '\(error.path)'")
        } catch {
            throw CLIFailure(.invalidInput, code: "invalid_line", "\(error)")
        }
    }

    /// "missing field 'text'", "field 'id': expected UInt64", "not valid JSON".
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let prefix = path(context)
            return "missing field '\(prefix.isEmpty ? "" : prefix + ".")\(key.stringValue)'"
        case .typeMismatch(let type, let context): return "field '\(path(context))': expected \(type)"
        case .valueNotFound(let type, let context): return "field '\(path(context))': expected \(type), found null"
        case .dataCorrupted(let context):
            let place = path(context)
            return place.isEmpty ? "not valid JSON" : "field '\(place)': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
