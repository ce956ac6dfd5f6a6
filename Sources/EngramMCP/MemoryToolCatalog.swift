import MCP

/// The tools `engram mcp` offers: their names, descriptions and JSON input schemas.
///
/// The argument names are the daemon API's own (`text`, `tags`, `occurred_at`, …), so what a
/// host sends is decoded by the API's strict request decoders (``MemoryToolRunner``): a
/// misspelt argument is refused with `unknown_field`, never silently ignored. Every tool but
/// `list_namespaces` takes an optional `namespace`; without one the server's `--namespace` is
/// used.
enum MemoryToolCatalog {
    static let remember = "remember"
    static let learn = "learn"
    static let search = "search"
    static let get = "get"
    static let edit = "edit"
    static let forget = "forget"
    static let history = "history"
    static let feedback = "feedback"
    static let listNamespaces = "list_namespaces"

    static let tools: [Tool] = [
        Tool(name: remember,
             description: """
                 Store a memory as given: a fact, preference or instruction worth keeping across \
                 conversations, in one self-contained sentence. Searchable at once. Returns the \
                 stored entry with its id.
                 """,
             inputSchema: object(entryProperties(textRequired: true), required: ["text"])),
        Tool(name: learn,
             description: """
                 Store a fact learned from a conversation the way the learning loop does: a \
                 near-duplicate reinforces the existing entry instead of adding one, a fact a \
                 person already rejected is refused, and one that may contradict a stored fact \
                 is held for review (action "pending"). Prefer this to remember for facts you \
                 inferred rather than were told to store. Returns the action and the entry.
                 """,
             inputSchema: object(entryProperties(textRequired: true), required: ["text"])),
        Tool(name: search,
             description: """
                 Find the memories most relevant to a text (hybrid semantic and keyword search \
                 unless the namespace is set otherwise), best first, each with its score, \
                 confidence and when it was said. Facts held for review are left out.
                 """,
             inputSchema: object([
                 "text": ["type": "string", "description": "What to look for, in natural language."],
                 "k": ["type": "integer", "minimum": 1, "maximum": 1000, "description": "How many memories (default 10)."],
                 "mode": ["type": "string", "enum": ["vector", "lexical", "hybrid"],
                          "description": "Search mode; default: the namespace's (hybrid)."],
                 "filter": ["type": "object", "description": """
                     Conditions every hit must meet, as engramd's search filter: tags_any, tags_all \
                     (string arrays), source (string array), min_confidence, max_confidence (0-1), \
                     thread, metadata (an object of values to match), pinned, occurred / created / \
                     updated ({from, to} ISO 8601), valid_at (ISO 8601), status (active, pending, \
                     any), conflicting (boolean).
                     """],
                 "context": ["type": "integer", "minimum": 0, "maximum": 20,
                             "description": "With each hit, up to this many entries before and after it in its thread."],
                 "namespace": namespaceProperty,
             ], required: ["text"]),
             annotations: .init(readOnlyHint: true, openWorldHint: false)),
        Tool(name: get,
             description: "Read one memory by id: its text, tags, source, confidence, evidence, versions and times.",
             inputSchema: object(["id": idProperty, "namespace": namespaceProperty], required: ["id"]),
             annotations: .init(readOnlyHint: true, openWorldHint: false)),
        Tool(name: edit,
             description: """
                 Correct a memory: change its text (re-embedded; the old text becomes a rejected \
                 claim that learning will not bring back) or its tags, metadata, source, \
                 confidence, pinning, thread or times. Only the fields given change. Returns the \
                 new version.
                 """,
             inputSchema: object(["id": idProperty].merging(entryProperties(textRequired: false)) { first, _ in first },
                                 required: ["id"]),
             annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)),
        Tool(name: forget,
             description: """
                 Forget a memory that is wrong or no longer wanted: it leaves searches and prompts \
                 at once, its text becomes a rejected claim, and an operator can restore it from \
                 its history (nothing is erased).
                 """,
             inputSchema: object(["id": idProperty, "reason": reasonProperty, "namespace": namespaceProperty],
                                 required: ["id"]),
             annotations: .init(destructiveHint: true, idempotentHint: true, openWorldHint: false)),
        Tool(name: history,
             description: "The audit events of one memory, oldest first: who created, edited, reinforced or forgot it, when and why.",
             inputSchema: object([
                 "id": idProperty,
                 "limit": ["type": "integer", "minimum": 1, "maximum": 1000, "description": "At most this many events (default 100)."],
                 "namespace": namespaceProperty,
             ], required: ["id"]),
             annotations: .init(readOnlyHint: true, openWorldHint: false)),
        Tool(name: feedback,
             description: """
                 Report how a memory fared when you used it: useful and not_useful move its \
                 confidence up or down; contradicted says something showed it wrong (its \
                 confidence falls further).
                 """,
             inputSchema: object([
                 "id": idProperty,
                 "signal": ["type": "string", "enum": ["useful", "not_useful", "contradicted"]],
                 "reason": reasonProperty,
                 "namespace": namespaceProperty,
             ], required: ["id", "signal"]),
             annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)),
        Tool(name: listNamespaces,
             description: "The namespaces engramd holds, with their entry counts and settings.",
             inputSchema: object([:], required: []),
             annotations: .init(readOnlyHint: true, openWorldHint: false)),
    ]

    static let namespaceProperty: Value = [
        "type": "string", "description": "Namespace (1-128 of A-Z a-z 0-9 . _ -); default: the server's --namespace.",
    ]
    static let idProperty: Value = ["type": "integer", "minimum": 1, "description": "The memory's id."]
    static let reasonProperty: Value = ["type": "string", "description": "Why; recorded in the audit log."]

    /// The members of a remembered or edited entry (the API's `RememberRequest`/`EditRequest`).
    static func entryProperties(textRequired: Bool) -> [String: Value] {
        [
            "text": ["type": "string", "description": textRequired
                ? "The memory, one self-contained statement." : "The corrected text."],
            "tags": ["type": "array", "items": ["type": "string"], "description": "Labels to filter by."],
            "source": ["type": "string", "description": "Where it came from (default \"user\")."],
            "confidence": ["type": "number", "minimum": 0, "maximum": 1, "description": "How sure, 0-1."],
            "metadata": ["type": "object", "description": "Any JSON values to keep with it."],
            "pinned": ["type": "boolean", "description": "A pinned memory is never reinforced or contradicted by learning."],
            "thread": ["type": "string", "description": "The conversation or thread it belongs to."],
            "occurred_at": ["type": "string", "format": "date-time",
                            "description": "When it happened or was said (ISO 8601); default now."],
            "reason": reasonProperty,
            "namespace": namespaceProperty,
        ]
    }

    static func object(_ properties: [String: Value], required: [String]) -> Value {
        ["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) }),
         "additionalProperties": false]
    }
}
