import EngramAPI
import EngramJSON
import Foundation
import Testing

/// `openapi/engram.json` is checked against EngramAPI's documents: each one, encoded by the
/// API's encoder with every optional member set and again with none set, conforms to the
/// schema of the same name (types, required members, no member the schema lacks).
@Suite("EngramAPI documents match the OpenAPI schemas")
struct DocumentSchemaTests {
    static let date = Date(timeIntervalSinceReferenceDate: 812_345_678.125)

    static func entry(full: Bool) -> MemoryEntry {
        MemoryEntry(id: 7, namespace: "kb", slot: 11, draft: MemoryDraft(
            text: "tea at five", tags: full ? ["habit"] : [],
            metadata: full ? ["room": .string("kitchen"), "n": .number(2), "ok": .bool(true)] : [:],
            source: "user", confidence: 0.75, evidence: Evidence(support: 2, contradictions: 1, useful: 3, notUseful: 4),
            pinned: full, createdAt: date, updatedAt: date.addingTimeInterval(5),
            lastUsedAt: full ? date.addingTimeInterval(9) : nil, useCount: full ? 3 : 0, version: 2,
            expiresAt: full ? date.addingTimeInterval(86_400) : nil, occurredAt: full ? date.addingTimeInterval(-60) : nil,
            validFrom: full ? date : nil, validTo: full ? date.addingTimeInterval(3600) : nil, thread: full ? "session-1" : nil,
            position: full ? -3 : nil, pending: full, conflictsWith: full ? [3, 4] : [], learned: full))
    }

    static let claim = RejectedClaim(entryID: 7, sequence: 4, text: "tea at four", cause: .corrected, fromEntry: 7,
                                     actor: "alice (uid:1000)", reason: "moved", rejectedAt: date)

    static let parameters = HNSWParameters(m: 16, efConstruction: 200, efSearch: 64, flatThreshold: 1000,
                                           consolidationFraction: 0.2, seed: 42)

    static func namespace(full: Bool) -> Namespace {
        Namespace(name: "kb", dimension: 384, metric: .cosine, parameters: parameters,
                  embedderID: full ? "all-MiniLM-L6-v2" : nil, createdAt: date, entryCount: 10, deletedNodes: 1,
                  freeSlots: 1, maxLevel: 2, indexBytes: 4096,
                  lexical: LexicalOptions(stemming: full ? .none : .english, stopWords: full ? .none : .english, k1: 1.2, b: 0.75),
                  search: SearchDefaults(mode: full ? .lexical : .hybrid, fusion: full ? .rrf : .blend),
                  lexicalTerms: 120, lexicalBytes: 9000,
                  learning: full ? LearningPolicy(conflictPolicy: .link, reinforceSimilarity: 0.92, conflictSimilarity: 0.5,
                                                  rejectedSimilarity: 0.88) : LearningPolicy())
    }

    static func job(full: Bool) -> Job {
        Job(id: "rebuild-1", state: full ? .failed : .running, namespaces: ["kb"], namespace: full ? "kb" : nil,
            phase: full ? "catching_up" : nil, done: 3, total: 10, cancelRequested: false, startedAt: date,
            finishedAt: full ? date.addingTimeInterval(2) : nil,
            error: full ? Job.Failure(code: "cancelled", message: "stopped") : nil,
            results: full ? [RebuildResult(namespace: "kb", nodes: 10, caughtUp: 1, m: 16, efConstruction: 200, seconds: 0.5)] : [])
    }

    static func audit(full: Bool) -> AuditEvent {
        var event = AuditEvent(sequence: 5, kind: .updated, time: date, actor: "uid:1000", namespace: "kb", entryID: 7,
                               before: full ? entry(full: false) : nil, after: entry(full: full),
                               reason: full ? "typo" : nil, claim: full ? "tea at four" : nil)
        event.scrubMark = full ? true : nil
        return event
    }

    static let filter = SearchFilter(tagsAny: ["a"], tagsAll: ["b"], sources: ["user"], minConfidence: 0.5,
                                     created: TimeRange(from: date, to: date), updated: TimeRange(from: date),
                                     metadata: ["room": .string("kitchen")], pinned: false,
                                     occurred: TimeRange(to: date), validAt: date, thread: "session-1",
                                     maxConfidence: 0.9, status: .any, conflicting: true)

    /// (schema name, encoded document) for every document, fully and minimally populated.
    static func documents() throws -> [(String, [UInt8])] {
        let encoder = WireJSON.encoder()
        func encode(_ value: some Encodable) throws -> [UInt8] { [UInt8](try encoder.encode(value)) }
        let exported = ExportedEntry(entry: entry(full: true), vector: [0.5, -1, 2],
                                     rejectedClaims: [ExportedClaim(claim, vector: [1, 0, 0])])
        var result: [(String, [UInt8])] = []
        for full in [true, false] {
            let hit = full
                ? SearchHit(entry: entry(full: full), distance: 0.25, similarity: 0.75, score: 0.8,
                            components: ScoreComponents(vector: 0.75, lexical: 3.5, fused: 0.8),
                            context: HitContext(before: [entry(full: false)], after: [entry(full: true)]))
                : SearchHit(entry: entry(full: full), distance: nil, similarity: nil, score: 3.5)
            result += [
                ("MemoryEntry", try encode(entry(full: full))),
                ("WriteOutcome", try encode(WriteOutcome(entry: entry(full: full), sequence: 9, namespaceCreated: full ? true : nil))),
                ("LearnOutcome", try encode(LearnOutcome(action: full ? .reinforced : .created, entry: entry(full: full),
                                                         sequence: full ? 9 : nil, similarity: full ? 0.97 : nil,
                                                         namespaceCreated: full ? true : nil, rejectedBy: full ? claim : nil))),
                ("LearnOutcome", try encode(LearnOutcome(action: .rejected, entry: nil, sequence: 9, similarity: 0.99,
                                                         rejectedBy: claim))),
                ("BatchRememberRequest", try encode(BatchRememberRequest(
                    items: [RememberRequest(text: "tea", vector: full ? [1, 0] : nil, tags: full ? ["a"] : [],
                                            thread: full ? "t" : nil)],
                    dedupe: full ? .learn : nil, actor: full ? "bot" : nil, reason: full ? "load" : nil))),
                ("BatchRememberResponse", try encode(BatchRememberResponse(
                    results: full ? [BatchItemDocument(index: 0, status: "reinforced", id: 3, sequence: 9, similarity: 0.95),
                                     BatchItemDocument(index: 1, status: "failed",
                                                       error: .init(code: "invalid_argument", message: "empty text"))] : [],
                    namespaceCreated: full ? true : nil))),
                ("RejectedClaimList", try encode(RejectedClaimList(claims: full ? [claim] : []))),
                ("ReviewPage", try encode(ReviewPage(items: full ? [ReviewItem(entry: entry(full: true), conflicts: [entry(full: false)])]
                                                                 : [], nextCursor: full ? 7 : nil))),
                ("ReviewDecision", try encode(ReviewDecision(actor: full ? "lead" : nil, reason: full ? "wrong" : nil))),
                ("SearchHit", try encode(hit)),
                ("SearchResponse", try encode(SearchResponse(hits: full ? [hit] : []))),
                ("EntryList", try encode(EntryList(entries: [entry(full: full)], nextCursor: full ? 7 : nil,
                                                   damaged: full ? [DamagedRecord(id: 3, problem: "checksum")] : nil))),
                ("AuditEvent", try encode(audit(full: full))),
                ("AuditPage", try encode(AuditPage(events: [audit(full: full)], nextCursor: full ? 5 : nil))),
                ("Namespace", try encode(namespace(full: full))),
                ("NamespaceList", try encode(NamespaceList(namespaces: [namespace(full: full)]))),
                ("NamespaceDeleted", try encode(NamespaceDeleted(deleted: "kb", sequence: full ? 12 : nil))),
                ("Health", try encode(Health(status: "ok", version: "0.1.0", uptimeSeconds: 1.5, pid: 42,
                                             details: full ? ["blas": "openblas"] : [:]))),
                ("Job", try encode(job(full: full))),
                ("JobEnvelope", try encode(JobEnvelope(job: job(full: full)))),
                ("ExportPage", try encode(ExportPage(entries: full ? [exported] : [], nextCursor: full ? 7 : nil,
                                                     damaged: full ? [DamagedRecord(id: nil, problem: "key")] : nil,
                                                     orphanedClaims: full ? [ExportedClaim(claim, vector: [1, 0], withHolder: true)] : nil))),
                ("ImportResult", try encode(ImportResult(results: [.init(id: 7, status: full ? .invalid : .created,
                                                                         message: full ? "empty text" : nil)],
                                                         sequence: full ? 3 : nil, claims: full ? 2 : nil))),
                ("SearchRequest", try encode(SearchRequest(text: full ? nil : "tea", vector: full ? [1, 0] : nil,
                                                           k: full ? 5 : nil, ef: full ? 64 : nil, filter: full ? filter : nil,
                                                           rank: full ? RankOptions(similarity: 1, confidence: 0.2, recency: 0.1,
                                                                                    recencyHalfLife: 60) : nil,
                                                           mode: full ? .hybrid : nil,
                                                           fusion: full ? FusionOptions(method: .rrf, vectorWeight: 1, lexicalWeight: 2,
                                                                                        rrfK: 30, candidates: 40) : nil,
                                                           context: full ? 2 : nil))),
                ("RememberRequest", try encode(Audited(RememberRequest(text: "tea", vector: full ? [1, 0] : nil,
                                                                       tags: full ? ["a"] : [], confidence: full ? 0.9 : nil,
                                                                       pinned: full, expiresAt: full ? date : nil,
                                                                       occurredAt: full ? date : nil, validFrom: full ? date : nil,
                                                                       validTo: full ? date : nil, thread: full ? "t" : nil,
                                                                       position: full ? 4 : nil),
                                                       actor: full ? "bot" : nil, reason: full ? "told" : nil))),
                ("EditRequest", try encode(full ? Audited(EditRequest(text: "t", vector: [1], tags: ["a"], metadata: [:],
                                                                      source: "s", confidence: 0.5, pinned: true,
                                                                      expiresAt: date, clearExpiry: false, occurredAt: date,
                                                                      validFrom: date, validTo: date, clearValidity: false,
                                                                      thread: "t", position: 1),
                                                          actor: "bot", reason: "r")
                                                : Audited(EditRequest()))),
                ("RevertRequest", try encode(RevertRequest(version: 1, vector: full ? [1] : nil, actor: full ? "a" : nil,
                                                           reason: full ? "r" : nil))),
                ("FeedbackRequest", try encode(FeedbackRequest(signal: .notUseful, actor: full ? "a" : nil,
                                                               reason: full ? "r" : nil))),
                ("NamespaceRequest", try encode(full ? NamespaceRequest(dimension: 32, metric: .l2,
                                                                        parameters: HNSWParametersInput(parameters),
                                                                        lexical: LexicalOptions(), search: SearchDefaults(),
                                                                        learning: LearningPolicy(conflictPolicy: .store))
                                                     : NamespaceRequest())),
                ("RebuildRequest", try encode(full ? RebuildRequest(namespace: "kb", m: 8, efConstruction: 100)
                                                   : RebuildRequest())),
                ("ImportRequest", try encode(ImportRequest(namespace: "kb", entries: full ? [exported] : [],
                                                           claims: full ? [ExportedClaim(claim, vector: [1], withHolder: true)] : nil))),
            ]
        }
        result += [
            ("ExportedEntry", try encode(exported)),
            ("EmbedRequest", try encode(EmbedRequest(input: ["tea", "coffee"]))),
            ("EmbedResponse", try encode(EmbedResponse(model: "all-MiniLM-L6-v2", dimension: 2, vectors: [[0.6, 0.8]], tokens: 3))),
            ("EmbedResponse", try encode(EmbedResponse(model: "hash", dimension: 2, vectors: [[1, 0]], tokens: nil))),
            ("BackupRequest", try encode(BackupRequest(path: "nightly"))),
            ("BackupResult", try encode(BackupResult(path: "/backups/nightly", bytes: 4096, seconds: 0.2))),
            ("Verification", try encode(Verification(consistent: false, problems: ["x"], namespaces: 1, entries: 2,
                                                     graphNodes: 2, vectors: 2, auditEvents: 3))),
            ("Error", APIError.invalidField("k", "expected an integer").jsonBody()),
        ]
        return result
    }

    @Test("every document conforms to its schema")
    func documentsConform() throws {
        let doc = try OpenAPIDocument.load()
        for (name, bytes) in try Self.documents() {
            let schema = doc.schema(named: name)
            #expect(schema != .null, "openapi/engram.json has no schema \(name)")
            let problems = doc.validate(try JSON.parse(bytes), schema)
            #expect(problems.isEmpty, "\(name): \(problems) in \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test("every schema of the document is covered by a document type")
    func schemasCovered() throws {
        let doc = try OpenAPIDocument.load()
        let covered = Set(try Self.documents().map(\.0))
        // Schemas that only appear inside others, checked through them.
        let nested: Set<String> = ["Evidence", "Metric", "VectorQuantization", "HNSWParameters", "HNSWParametersInput", "TimeRange",
                                   "SearchFilter", "RankOptions", "RebuildResult", "DamagedRecord", "SearchMode",
                                   "FusionMethod", "LexicalOptions", "SearchDefaults", "FusionOptions", "ScoreComponents",
                                   "HitContext", "LearningPolicy", "RejectedClaim", "ReviewItem", "ExportedClaim",
                                   "BatchItem", "BatchItemResult"]
        let schemas = Set(doc.root["components"]?["schemas"]?.object?.keys.map { $0 } ?? [])
        #expect(schemas.subtracting(covered).subtracting(nested).isEmpty,
                "schemas without a document type: \(schemas.subtracting(covered).subtracting(nested).sorted())")
    }
}
