#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemoryStore

/// Creating and correcting knowledge. Every write returns the audit sequence number of the
/// event that records it; the next read or search sees it.
extension MemoryEngine {
    /// A validated request, ready to become a `MemoryDraft`.
    struct PreparedMemory {
        var draft: MemoryDraft
        var vector: [Float]
        var config: NamespaceConfig
    }

    /// Validates `request`, resolves (not yet creates) the namespace and computes the vector.
    /// Runs outside the writer lock (embedding is the slow part).
    /// With `embed` false and no caller vector, `vector` is left empty for the caller to fill.
    func prepare(_ request: RememberRequest, namespace: String, embed: Bool = true) throws(EngineError) -> PreparedMemory {
        let now = clock()
        try InputValidation.text(request.text)
        let tags = try InputValidation.tags(request.tags)
        try InputValidation.metadata(request.metadata)
        try InputValidation.source(request.source)
        let confidence = request.confidence ?? configuration.defaultConfidence
        try InputValidation.confidence(confidence)
        if let expiresAt = request.expiresAt { try InputValidation.expiry(expiresAt, now: now) }
        try InputValidation.eventFields(validFrom: request.validFrom, validTo: request.validTo, thread: request.thread,
                                        position: request.position)
        let config = try writableNamespace(namespace)
        let vector = embed || request.vector != nil ? try vector(for: request.text, given: request.vector, config: config).values : []
        let draft = MemoryDraft(text: request.text, tags: tags, metadata: request.metadata, source: request.source,
                                confidence: confidence, evidence: Evidence(), pinned: request.pinned, createdAt: now,
                                expiresAt: request.expiresAt, occurredAt: request.occurredAt, validFrom: request.validFrom,
                                validTo: request.validTo, thread: request.thread, position: request.position)
        return PreparedMemory(draft: draft, vector: vector, config: config)
    }

    /// Remembers: creates an entry (audit `created`), creating the namespace first when it is
    /// unknown and auto-creation is on.
    ///
    /// - Throws: `invalid_argument`, `payload_too_large`, `dimension_mismatch`,
    ///   `namespace_not_found` (auto-creation off), `embedding_failed`, `storage_full`.
    /// - Complexity: one embedding (unless a vector is sent) and one HNSW insertion + commit.
    public func remember(_ request: RememberRequest, namespace: String, actor: String = "user",
                         reason: String? = nil) throws(EngineError) -> WriteOutcome {
        let prepared = try prepare(request, namespace: namespace)
        let context = context(actor: actor, reason: reason)
        return try exclusive {
            try insert(prepared, context: context)
        }
    }

    /// Remembers many entries in one transaction (imports, bulk loads): all or none. Texts
    /// without a caller vector are embedded in one batch (``embedTexts(_:config:)``). Ids and
    /// sequences are consecutive in `requests` order. ``rememberEach(_:namespace:dedupe:actor:reason:)``
    /// is the variant that stores the valid items and reports the others.
    ///
    /// - Returns: one outcome per request, in order.
    /// - Throws: as ``remember(_:namespace:actor:reason:)``, the message naming the item
    ///   (`item 3: …`); `payload_too_large` when the batch exceeds one LMDB transaction
    ///   (keep batches to a few thousand entries).
    public func rememberBatch(_ requests: [RememberRequest], namespace: String, actor: String = "user",
                              reason: String? = nil) throws(EngineError) -> [WriteOutcome] {
        guard !requests.isEmpty else { return [] }
        guard requests.count <= 100_000 else { throw .invalidArgument("at most 100000 entries per batch") }
        let config = try writableNamespace(namespace)
        var prepared: [PreparedMemory] = []
        prepared.reserveCapacity(requests.count)
        for (index, item) in prepareItems(requests, config: config).enumerated() {
            switch item {
            case .success(let memory): prepared.append(memory)
            case .failure(let error): throw error.locating("item \(index)")
            }
        }
        return try insertAll(prepared, context: context(actor: actor, reason: reason))
    }

    /// Validates every request and gives each its vector: the caller's, or the embedder's,
    /// all texts embedded in one parallel batch. Runs outside the writer lock.
    /// - Returns: per request, the prepared memory or why it cannot be stored.
    func prepareItems(_ requests: [RememberRequest], config: NamespaceConfig) -> [Result<PreparedMemory, EngineError>] {
        var items = requests.map { request in
            Result { () throws(EngineError) in try prepare(request, namespace: config.name, embed: false) }
        }
        let toEmbed = items.indices.filter { (try? items[$0].get())?.vector.isEmpty == true }
        guard !toEmbed.isEmpty else { return items }
        do {
            let vectors = try embedTexts(toEmbed.map { requests[$0].text }, config: config)
            for (offset, index) in toEmbed.enumerated() {
                if let vector = vectors[offset] {
                    items[index] = items[index].map { memory in
                        var memory = memory
                        memory.vector = vector
                        return memory
                    }
                } else {
                    items[index] = .failure(.embeddingFailed("the embedder returned an unusable vector for this text"))
                }
            }
        } catch {
            for index in toEmbed { items[index] = .failure(error) }
        }
        return items
    }

    /// The vectors of `texts` for namespace `config`, embedded on the batch threads
    /// (``EngineConfiguration/batchEmbeddingThreads``); `nil` where the embedder returned an
    /// unusable vector (wrong length, not finite).
    /// - Throws: `dimension_mismatch` (the namespace is not the embedder's), `embedding_failed`.
    func embedTexts(_ texts: [String], config: NamespaceConfig) throws(EngineError) -> [[Float]?] {
        try checkEmbedderFits(config)
        let vectors = try translatingErrors { try batchEmbedding.embed(texts, using: embedder) }
        guard vectors.count == texts.count else {
            throw .embeddingFailed("the embedder returned \(vectors.count) vectors for \(texts.count) texts")
        }
        return vectors.map { $0.count == config.dimension && $0.allSatisfy(\.isFinite) ? $0 : nil }
    }

    /// Creates `prepared` (all of one namespace) in one transaction, creating the namespace
    /// first when it is unknown. Ids and sequences are consecutive in order.
    func insertAll(_ prepared: [PreparedMemory], context: AuditContext) throws(EngineError) -> [WriteOutcome] {
        guard let first = prepared.first else { return [] }
        let namespace = first.config.name
        return try exclusive {
            if !configuration.autoCreateNamespaces && store.namespaceConfig(namespace) == nil {
                throw EngineError.namespaceNotFound("namespace \"\(namespace)\" does not exist (automatic creation is off)")
            }
            let created = try ensureNamespace(first.config)
            let items = prepared.map { item -> (draft: MemoryDraft, vector: [Float]) in
                var draft = item.draft
                draft.createdAt = context.time
                return (draft, item.vector)
            }
            guard case .written(let results) = try write(.insert(namespace: namespace, items: items.map {
                DraftWithVector(draft: $0.draft, vector: $0.vector)
            }, context: context)), results.count == items.count else {
                throw EngineError.internalError("a batch insert returned another outcome")
            }
            return results.enumerated().map { offset, result in
                WriteOutcome(entry: result.entry, sequence: result.sequence, namespaceCreated: created && offset == 0 ? true : nil)
            }
        }
    }

    /// Precondition: `writeLock` held.
    func insert(_ prepared: PreparedMemory, context: AuditContext) throws -> WriteOutcome {
        if !configuration.autoCreateNamespaces && store.namespaceConfig(prepared.config.name) == nil {
            throw EngineError.namespaceNotFound("namespace \"\(prepared.config.name)\" does not exist (automatic creation is off)")
        }
        let created = try ensureNamespace(prepared.config)
        var draft = prepared.draft
        draft.createdAt = context.time
        let result = try write(.insert(namespace: prepared.config.name, items: [DraftWithVector(draft: draft, vector: prepared.vector)],
                                       context: context)).writeResult()
        return WriteOutcome(entry: result.entry, sequence: result.sequence, namespaceCreated: created ? true : nil)
    }

    /// Edits an entry (audit `updated`, version + 1). A new text is embedded (or indexed under
    /// the caller's `vector`) and replaces the old vector in the index in the same commit, so a
    /// search finds the new text and no longer the old one. Pinned entries may be edited
    /// (pinning only protects from automatic learning).
    ///
    /// An edit is a person's word (unless `actor` is one of the configured learning actors):
    /// a changed text keeps the old one as a **rejected claim** of the entry, in the same
    /// transaction, so `learn` refuses it from then on (a claim the entry held of its new text
    /// is taken back: editing back to a text makes it right again); and the entry stops
    /// counting as learned (it outranks learned facts in a conflict).
    ///
    /// - Throws: `not_found` (absent or expired), `invalid_argument` (nothing to change, a
    ///   vector without text, bad field), `payload_too_large`, `dimension_mismatch`.
    public func edit(namespace: String, id: UInt64, _ request: EditRequest, actor: String = "user",
                     reason: String? = nil) throws(EngineError) -> WriteOutcome {
        guard !request.isEmpty else { throw .invalidArgument("the edit changes nothing") }
        if request.vector != nil && request.text == nil { throw .invalidArgument("a vector can only come with a new text") }
        if request.expiresAt != nil && request.clearExpiry == true {
            throw .invalidArgument("expires_at and clear_expiry exclude each other")
        }
        if (request.validFrom != nil || request.validTo != nil) && request.clearValidity == true {
            throw .invalidArgument("valid_from/valid_to and clear_validity exclude each other")
        }
        try InputValidation.eventFields(validFrom: nil, validTo: nil, thread: request.thread, position: request.position)
        let now = clock()
        if let text = request.text { try InputValidation.text(text) }
        let tags = try request.tags.map { (tags) throws(EngineError) in try InputValidation.tags(tags) }
        if let metadata = request.metadata { try InputValidation.metadata(metadata) }
        if let source = request.source { try InputValidation.source(source) }
        if let confidence = request.confidence { try InputValidation.confidence(confidence) }
        if let expiresAt = request.expiresAt { try InputValidation.expiry(expiresAt, now: now) }
        let config = try existingNamespace(namespace)
        let current = try liveEntry(namespace, id)
        var vector: [Float]?
        if let text = request.text, text != current.text || request.vector != nil {
            vector = try self.vector(for: text, given: request.vector, config: config).values
        }
        let context = context(actor: actor, reason: reason)
        return try exclusive {
            let person = !isLearningActor(actor)
            let result = try updateEntry(namespace: namespace, id: id, kind: .updated, vector: vector,
                                         rejecting: person ? .corrected : nil, reinstating: person,
                                         context: context) { entry in
                try Self.requireUnchanged(entry, since: current, now: context.time)
                if person { entry.learned = false }
                if let text = request.text { entry.text = text }
                if let tags { entry.tags = tags }
                if let metadata = request.metadata { entry.metadata = metadata }
                if let source = request.source { entry.source = source }
                if let confidence = request.confidence { entry.confidence = confidence }
                if let pinned = request.pinned { entry.pinned = pinned }
                if let expiresAt = request.expiresAt { entry.expiresAt = expiresAt }
                if request.clearExpiry == true { entry.expiresAt = nil }
                if let occurredAt = request.occurredAt { entry.occurredAt = occurredAt }
                if let validFrom = request.validFrom { entry.validFrom = validFrom }
                if let validTo = request.validTo { entry.validTo = validTo }
                if request.clearValidity == true { entry.validFrom = nil; entry.validTo = nil }
                if let thread = request.thread { entry.thread = thread }
                if let position = request.position { entry.position = position }
            }
            return WriteOutcome(entry: result.entry, sequence: result.sequence)
        }
    }

    /// Inside a write: the entry must not have expired, and its text must be the one the
    /// caller's vector was computed for (another writer may have changed it meanwhile).
    static func requireUnchanged(_ entry: MemoryEntry, since read: MemoryEntry, now: Date) throws {
        if isExpired(entry, at: now) { throw EngineError.notFound("no entry \(entry.id) in namespace \"\(entry.namespace)\"") }
        if entry.text != read.text {
            throw EngineError.conflict("entry \(entry.id) changed while this request was prepared; retry")
        }
    }

    /// Forgets an entry: it leaves the index and the entries at once (audit `deleted`, which
    /// keeps what was deleted). With `hard`, every audit event of the entry is scrubbed of its
    /// content (text, tags, metadata, source, reason; kind, time, actor and id stay), its
    /// vector is freed at once, and the data file's free pages are overwritten at the next
    /// maintenance flush (``scrubFreedPages()``). Expired entries not yet purged can be
    /// forgotten.
    ///
    /// A soft forget by a person (not a configured learning actor) keeps the entry's text as
    /// a rejected claim, so the learning loop cannot bring it back; a revert that restores
    /// the entry takes the claim back. A hard forget removes the entry's claims with it.
    /// - Returns: the entry as it was and the event's sequence.
    /// - Throws: `not_found`, `namespace_not_found`.
    public func forget(namespace: String, id: UInt64, hard: Bool = false, actor: String = "user",
                       reason: String? = nil) throws(EngineError) -> WriteOutcome {
        _ = try existingNamespace(namespace)
        let context = context(actor: actor, reason: reason)
        return try exclusive {
            let rejecting: RejectionCause? = hard || isLearningActor(actor) ? nil : .forgotten
            let result = try write(.delete(EntryDeletion(namespace: namespace, id: id, hard: hard, kind: .deleted,
                                                         rejecting: rejecting, context: context))).writeResult()
            return WriteOutcome(entry: result.entry, sequence: result.sequence)
        }
    }

    /// Applies feedback (audit `feedback`): one observation added to the entry's evidence and
    /// its confidence moved by the ``ConfidenceModel`` formula. Allowed on pinned entries
    /// (feedback is an explicit signal, not automatic learning). `contradicted` from a person
    /// (not a configured learning actor) also makes the entry's text a rejected claim: the
    /// entry stays, with its confidence lowered, but `learn` no longer reinforces it.
    /// - Throws: `not_found`, `namespace_not_found`.
    public func feedback(namespace: String, id: UInt64, _ signal: FeedbackSignal, actor: String = "user",
                         reason: String? = nil) throws(EngineError) -> WriteOutcome {
        _ = try existingNamespace(namespace)
        let context = context(actor: actor, reason: reason)
        let model = configuration.confidence
        return try exclusive {
            let rejecting: RejectionCause? = signal == .contradicted && !isLearningActor(actor) ? .contradicted : nil
            let result = try updateEntry(namespace: namespace, id: id, kind: .feedback, rejecting: rejecting,
                                         context: context) { entry in
                if Self.isExpired(entry, at: context.time) { throw EngineError.notFound("no entry \(id) in namespace \"\(namespace)\"") }
                model.observe(signal.observation, confidence: &entry.confidence, evidence: &entry.evidence)
            }
            return WriteOutcome(entry: result.entry, sequence: result.sequence)
        }
    }

    /// Restores the content of version `version` (text, tags, metadata, source, confidence,
    /// pinned, and when it happened, holds and belongs: occurred_at, validity, thread,
    /// position) as a new version (audit `reverted`). Evidence, use counts and expiry are facts
    /// about the entry's life and stay as they are. When the text differs from the current
    /// one, the old text is embedded again (the audit log keeps no vectors), or indexed under
    /// the caller's `vector`.
    ///
    /// A revert to a text that a correction replaced takes back the rejected claim of that
    /// text (the person reverting says it is right again).
    ///
    /// A forgotten (soft-deleted or purged after expiry) entry is **restored** this way: it
    /// comes back under its id with the version's content and the bookkeeping it had when it
    /// was deleted, a version past its last, re-indexed, audit `restored` (an expiry that has
    /// passed is removed, or the entry would vanish again at once).
    ///
    /// - Throws: `not_found` (no such entry or version), `conflict` (the entry or the version
    ///   was scrubbed by a hard forget: nothing is left to restore; or the namespace needs a
    ///   caller vector), `dimension_mismatch`.
    /// - Complexity: O(history) to find the version, plus an embedding if the text changes.
    public func revert(namespace: String, id: UInt64, toVersion version: UInt64, vector given: [Float]? = nil,
                       actor: String = "user", reason: String? = nil) throws(EngineError) -> WriteOutcome {
        let config = try existingNamespace(namespace)
        let history = try translatingErrors { try store.audit(entryID: id, limit: .max) }
        guard let current = try translatingErrors({ try store.get(namespace: namespace, id: id) }) else {
            return try restore(namespace: namespace, id: id, toVersion: version, history: history, vector: given,
                               config: config, actor: actor, reason: reason)
        }
        guard !Self.isExpired(current, at: clock()) else { throw .notFound("no entry \(id) in namespace \"\(namespace)\"") }
        let snapshots = history.filter { $0.namespace == namespace }.flatMap { event in
            [(event.after, event.isScrubbed), (event.before, event.isScrubbed)]
        }
        guard let (found, scrubbed) = snapshots.first(where: { $0.0?.version == version }), let target = found else {
            throw .notFound("entry \(id) in namespace \"\(namespace)\" has no version \(version)")
        }
        guard !scrubbed else { throw .conflict("version \(version) of entry \(id) was scrubbed by a hard forget") }
        var vector: [Float]?
        if target.text != current.text || given != nil {
            vector = try self.vector(for: target.text, given: given, config: config).values
        }
        let context = context(actor: actor, reason: reason ?? "revert to version \(version)")
        return try exclusive {
            let result = try updateEntry(namespace: namespace, id: id, kind: .reverted, vector: vector, reinstating: true,
                                         context: context) { entry in
                try Self.requireUnchanged(entry, since: current, now: context.time)
                Self.takeContent(of: target, into: &entry)
            }
            return WriteOutcome(entry: result.entry, sequence: result.sequence)
        }
    }

    /// What a revert or restore takes from an earlier version: its content (text, tags,
    /// metadata, source, confidence, pinned) and when it happened, holds and belongs
    /// (occurred_at, validity, thread, position); evidence, use counts, times and expiry are
    /// facts about the entry's life and stay as they are.
    static func takeContent(of version: MemoryEntry, into entry: inout MemoryEntry) {
        entry.text = version.text
        entry.tags = version.tags
        entry.metadata = version.metadata
        entry.source = version.source
        entry.confidence = version.confidence
        entry.pinned = version.pinned
        entry.occurredAt = version.occurredAt
        entry.validFrom = version.validFrom
        entry.validTo = version.validTo
        entry.thread = version.thread
        entry.position = version.position
    }

    /// The restore branch of ``revert(namespace:id:toVersion:vector:actor:reason:)``: the entry
    /// is gone; its last event must be a delete or expiry of this namespace, not scrubbed.
    func restore(namespace: String, id: UInt64, toVersion version: UInt64, history: [AuditEvent], vector given: [Float]?,
                 config: NamespaceConfig, actor: String, reason: String?) throws(EngineError) -> WriteOutcome {
        let events = history.filter { $0.namespace == namespace }
        guard let last = events.last(where: { $0.kind.changesEntry }), AuditKind.deleteKinds.contains(last.kind) else {
            throw .notFound("no entry \(id) in namespace \"\(namespace)\"")
        }
        guard !last.isScrubbed, let atDeletion = last.before else {
            throw .conflict("entry \(id) was hard-deleted: its content is gone and it cannot be restored")
        }
        let snapshots = events.flatMap { [$0.after, $0.before] }.compactMap { $0 }
        guard let target = snapshots.first(where: { $0.version == version }) else {
            throw .notFound("entry \(id) in namespace \"\(namespace)\" has no version \(version)")
        }
        let vector = try self.vector(for: target.text, given: given, config: config).values
        let context = context(actor: actor, reason: reason ?? "restore version \(version)")
        var entry = atDeletion
        Self.takeContent(of: target, into: &entry)
        if let expiresAt = entry.expiresAt, expiresAt <= context.time { entry.expiresAt = nil }
        return try exclusive {
            let result = try write(.restore(namespace: namespace, entry: entry, vector: vector, context: context)).writeResult()
            return WriteOutcome(entry: result.entry, sequence: result.sequence)
        }
    }
}
