public import MemoryStore

/// Reading entries and the audit log. Reads take no engine lock and never count as a use.
extension MemoryEngine {
    /// The entry (with not yet flushed use counts). - Throws: `not_found` (absent or
    /// expired), `namespace_not_found`. O(log n).
    public func get(namespace: String, id: UInt64) throws(EngineError) -> MemoryEntry {
        _ = try existingNamespace(namespace)
        return usage.overlay(try liveEntry(namespace, id))
    }

    /// A page of live entries in id (creation) order, after id `after` (0: from the start).
    /// Expired entries are left out, so a page may hold fewer than `limit`; follow
    /// `nextCursor` until it is `nil`. Damaged records are skipped and listed in `damaged`.
    /// O(log n + limit).
    ///
    /// With a `filter` (the search filter; its `status` defaults to `any` here, so pending
    /// facts are listed and marked) or an `order` other than `id`, the listing comes from the
    /// in-memory facts table: O(entries) to select, plus a sort of the selected. `updated`,
    /// `confidence` and `use` order most first (ties by id), and `after` / `nextCursor` are
    /// then positions in that order (a write between pages may shift it by a few entries);
    /// `use` reads every selected entry (use counts are not in the facts table).
    public func list(namespace: String, after: UInt64 = 0, limit: Int = 100, filter: SearchFilter? = nil,
                     order: ListOrder = .id) throws(EngineError) -> EntryList {
        try InputValidation.limit(limit, max: configuration.maxPageSize)
        _ = try existingNamespace(namespace)
        if filter != nil || order != .id {
            return try filteredList(namespace: namespace, after: after, limit: limit, filter: filter, order: order)
        }
        let page = try translatingErrors { try store.entries(namespace: namespace, after: after, limit: limit) }
        let now = clock()
        if !page.damaged.isEmpty {
            logger.error("damaged entry records skipped", metadata: [
                "namespace": "\(namespace)", "records": "\(page.damaged.map { $0.problem })"])
        }
        return EntryList(entries: page.entries.filter { !Self.isExpired($0, at: now) }.map(usage.overlay),
                         nextCursor: page.nextCursor, damaged: page.damaged.isEmpty ? nil : page.damaged)
    }

    /// ``list(namespace:after:limit:filter:order:)`` with a filter or an order.
    func filteredList(namespace: String, after: UInt64, limit: Int, filter: SearchFilter?,
                      order: ListOrder) throws(EngineError) -> EntryList {
        if let filter { try InputValidation.filter(filter) }
        let compiled = CompiledFilter(filter, now: clock(), status: .any)
        let selected = try facts(namespace).matching(compiled.admits)
        func fetch(_ ids: [UInt64]) throws(EngineError) -> [MemoryEntry] {
            try translatingErrors { try store.get(namespace: namespace, ids: ids) }.compactMap { $0 }
                .filter { compiled.admits(EntryFacts($0)) }.map(usage.overlay)
        }
        switch order {
        case .id:
            let ids = selected.map(\.id).filter { $0 > after }.sorted()
            let page = Array(ids.prefix(limit))
            return EntryList(entries: try fetch(page), nextCursor: ids.count > limit ? page.last : nil)
        case .updated, .confidence:
            let sorted = selected.sorted { a, b in
                let (x, y) = order == .updated ? (a.facts.updatedAt.timeIntervalSinceReferenceDate, b.facts.updatedAt.timeIntervalSinceReferenceDate)
                    : (a.facts.confidence, b.facts.confidence)
                return x != y ? x > y : a.id < b.id
            }
            let start = Int(min(after, UInt64(sorted.count)))
            let page = sorted[start...].prefix(limit).map(\.id)
            let end = start + page.count
            return EntryList(entries: try fetch(page), nextCursor: end < sorted.count ? UInt64(end) : nil)
        case .use:
            let sorted = try fetch(selected.map(\.id)).sorted { $0.useCount != $1.useCount ? $0.useCount > $1.useCount : $0.id < $1.id }
            let start = Int(min(after, UInt64(sorted.count)))
            let page = Array(sorted[start...].prefix(limit))
            let end = start + page.count
            return EntryList(entries: page, nextCursor: end < sorted.count ? UInt64(end) : nil)
        }
    }

    /// An entry's audit events in order, including after it was forgotten (a hard forget
    /// leaves them scrubbed of content). - Throws: `not_found` when the namespace never
    /// held the entry. O(log n + limit).
    public func history(namespace: String, id: UInt64, after: UInt64 = 0, limit: Int = 100) throws(EngineError) -> AuditPage {
        try InputValidation.limit(limit, max: configuration.maxPageSize)
        try Self.validateNamespaceName(namespace)
        let events = try translatingErrors { try store.audit(entryID: id, after: after, limit: limit) }
        // Ids are global and an entry never changes namespace, so its events all name one.
        if let first = events.first, first.namespace != namespace {
            throw .notFound("no entry \(id) in namespace \"\(namespace)\"")
        }
        if events.isEmpty && after == 0 { throw .notFound("no entry \(id) in namespace \"\(namespace)\"") }
        return AuditPage(events: events, nextCursor: events.count == limit ? events.last?.sequence : nil)
    }

    /// Events one filtered audit query looks at, at most: a query whose filter matches rarely
    /// returns fewer events than `limit` (perhaps none) with a cursor to go on from.
    public static let auditScanLimit = 10_000

    /// The audit log in commit order: events with sequence in `after+1 … through` (open-ended
    /// without `through`), of one namespace (by name, including deleted namespaces' events)
    /// or of all, that `filter` admits.
    ///
    /// Unfiltered, a page holds `limit` events. Filtered, the events of the namespace (or of
    /// the entry, or the whole log) are read in order and kept when they match, until `limit`
    /// match or ``auditScanLimit`` were read; `nextCursor` is then the last sequence read, so
    /// the next page goes on from there. O(log n + events read).
    public func audit(after: UInt64 = 0, through: UInt64? = nil, namespace: String? = nil, filter: AuditFilter = AuditFilter(),
                      limit: Int = 100) throws(EngineError) -> AuditPage {
        try InputValidation.limit(limit, max: configuration.maxPageSize)
        if let namespace { try Self.validateNamespaceName(namespace) }
        if let through, through <= after { return AuditPage(events: [], nextCursor: nil) }
        if let since = filter.since, let until = filter.until, since > until {
            throw .invalidArgument("since is after until")
        }
        guard filter.isEmpty else {
            return try filteredAudit(after: after, through: through, namespace: namespace, filter: filter, limit: limit)
        }
        var events = try translatingErrors {
            if let namespace { return try store.audit(namespace: namespace, after: after, limit: limit) }
            return try store.audit(after: after, limit: limit)
        }
        var reachedEnd = false
        if let through, let cut = events.firstIndex(where: { $0.sequence > through }) {
            events.removeSubrange(cut...)
            reachedEnd = true
        }
        let more = events.count == limit && !reachedEnd && events.last.map { $0.sequence != through } ?? false
        return AuditPage(events: events, nextCursor: more ? events.last?.sequence : nil)
    }

    /// ``audit(after:through:namespace:filter:limit:)`` with a filter: pages of the narrowest
    /// source (the entry's events, the namespace's, or the log), filtered in memory.
    func filteredAudit(after: UInt64, through: UInt64?, namespace: String?, filter: AuditFilter,
                       limit: Int) throws(EngineError) -> AuditPage {
        var events: [AuditEvent] = []
        var cursor = after
        var read = 0
        let batch = 1000
        while read < Self.auditScanLimit {
            let page = try translatingErrors {
                if let id = filter.entryID { return try store.audit(entryID: id, after: cursor, limit: batch) }
                if let namespace { return try store.audit(namespace: namespace, after: cursor, limit: batch) }
                return try store.audit(after: cursor, limit: batch)
            }
            for event in page {
                if let through, event.sequence > through { return AuditPage(events: events, nextCursor: nil) }
                read += 1
                cursor = event.sequence
                if filter.admits(event), namespace.map({ event.namespace == $0 }) ?? true {
                    events.append(event)
                    if events.count == limit { return AuditPage(events: events, nextCursor: cursor) }
                }
                if read == Self.auditScanLimit { break }
            }
            if page.count < batch && read < Self.auditScanLimit { return AuditPage(events: events, nextCursor: nil) }
        }
        return AuditPage(events: events, nextCursor: cursor)
    }
}
