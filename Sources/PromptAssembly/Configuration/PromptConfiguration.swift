public import EngramService
public import Logging

/// engram-prompt's effective configuration: built-in defaults < `config/engram-prompt.toml`
/// < `ENGRAM_PROMPT_*` environment variables (see ``PromptConfiguration/load(file:environment:)``).
///
/// Every key, its default and its environment variable are listed once, in ``settings``, the
/// way engramd's are (EngramService's ``Setting``); loading, validation messages and
/// `--print-config` all come from that table, so the three cannot drift apart.
/// `config/engram-prompt.toml` documents each key.
public struct PromptConfiguration: ServiceConfiguration {
    // MARK: [server]
    /// Unix socket the service listens on (at most 107 bytes).
    public var socketPath = "./run/engram-prompt.sock"
    /// Permission bits applied before the socket becomes reachable; must include 0o600.
    public var socketMode: UInt32 = 0o660
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes = 1_048_576
    /// A swift-log level name.
    public var logLevelName = "info"
    /// Optional loopback TCP listener for clients that cannot speak Unix sockets.
    public var tcpEnabled = false
    public var tcpHost = "127.0.0.1"
    /// 0 lets the system choose (useful in tests).
    public var tcpPort = 7879

    // MARK: [daemon]
    /// engramd's socket; the daemon is reached only through ``MemoryClient``.
    public var daemonSocket = "./run/engram.sock"
    /// Limit for each send and receive on the daemon socket.
    public var daemonTimeoutSeconds = 30
    /// Recorded in the daemon's audit log as the actor of every write.
    public var daemonActor = "engram-prompt"

    // MARK: [prompt]
    /// Directory of the Mustache templates (`*.mustache`).
    public var templatesDirectory = "./config/templates"
    /// Template for `/v1/prompt`'s `prompt` string when the request names none.
    public var defaultTemplate = "default"
    /// Template of the system message (the knowledge block), for `/v1/prompt`'s `messages`
    /// and for the injection into chat completions.
    public var systemTemplate = "system"
    /// Memories asked from the daemon per request when the request gives no `k`.
    public var k = 10
    /// Memories below this confidence are never used (requests may ask for more, not less).
    public var minConfidence = 0.3
    /// Hits whose cosine similarity to the request is below this are not used, in any search
    /// mode (a lexical search has no similarity, so it does not apply there): without it,
    /// the best `k` are used however unrelated. 0 keeps every hit. The defaults of this, `k`
    /// and `minConfidence` were chosen on LoCoMo (`make bench-injection`, docs/performance.md).
    public var minScore = 0.3
    /// Whether a request naming a namespace engramd does not have is answered as one with no
    /// memories (the first learned fact then creates it, when engramd allows that); off, it is
    /// refused with `namespace_not_found`, so a mistyped name shows at once.
    public var allowUnknownNamespaces = false
    /// Default token budget of the assembled prompt (see ``TokenEstimator``).
    public var tokenBudget = 1024
    /// The token estimate: `ceil(utf8 bytes / bytes_per_token)`.
    public var bytesPerToken = 4.0
    /// Two memories whose normalized texts have a bag-of-words cosine ≥ this are
    /// near-duplicates; only the better ranked one is used (see ``NearDuplicateFilter``).
    public var duplicateThreshold = 0.9
    /// `blend`: the daemon orders hits by relevance, confidence and recency (its
    /// `[engine.ranking]` weights); `relevance`: by the search's own score alone.
    public var rankingName = "blend"
    /// Whether learned facts that may contradict other entries (`conflicts_with`, kept live by
    /// a namespace whose conflict policy is `link`) are injected, marked as disputed. Off: they
    /// stay out of prompts until a person settles the conflict.
    public var includeDisputed = false

    // MARK: [upstream]
    /// OpenAI-compatible base URL; `/chat/completions` is appended.
    public var upstreamBaseURL = "http://127.0.0.1:8080/v1"
    /// Sent as `Authorization: Bearer …` when not empty (otherwise the client's own
    /// Authorization header is passed on).
    public var upstreamAPIKey = ""
    /// Model put into requests that name none; empty: leave the request as it is.
    public var upstreamModel = ""
    /// Limit for a non-streaming upstream call, and for the silence between two chunks of a
    /// streamed one.
    public var upstreamTimeoutSeconds = 120
    /// Limit for connecting to the upstream: a refused or unreachable upstream becomes a 502
    /// after this, instead of after the whole timeout.
    public var upstreamConnectTimeoutMilliseconds = 1000

    // MARK: [chat]
    /// Namespace of a chat completion without an `X-Engram-Namespace` header.
    public var chatDefaultNamespace = "default"
    /// `merge`: the knowledge goes before the content of the request's first system message
    /// (one is inserted when there is none); `prepend`: a separate system message is inserted
    /// first.
    public var chatInjectionName = "merge"
    /// When engramd cannot be reached: `fail` answers 503 `daemon_unavailable`;
    /// `answer_without_memories` sends the request upstream unchanged, saying so in
    /// `x-engram-memories-status: unavailable`.
    public var chatOnDaemonUnavailable = "fail"
    /// Turns before the last user message (user and assistant) that join it in the memory
    /// search and in the extraction prompt: a follow-up ("and for EU orders?") is searched
    /// with the subject it follows up. 0: the last user message alone.
    public var chatContextTurns = 4
    /// Namespace of a request that names none, per end user: `{user}` is replaced by the
    /// request's `X-Engram-User` header or its OpenAI `user` field (e.g. `user-{user}`).
    /// Empty, or no user known: `chat.default_namespace`.
    public var chatNamespaceTemplate = ""

    // MARK: [learning]
    /// After each chat completion, ask the upstream model for durable facts and `learn` them.
    public var learningEnabled = false
    /// Confidence of a newly extracted fact.
    public var learningInitialConfidence = 0.5
    /// Model used for extraction; empty: the chat request's model.
    public var learningModel = ""
    /// The upstream API the extraction is asked through: `chat_completions`, or `responses`
    /// for a model only the Responses API serves.
    public var learningAPIName = "chat_completions"
    /// Template of the extraction prompt.
    public var learningTemplate = "extraction"
    /// At most this many facts are stored per exchange (the rest are counted as dropped).
    public var learningMaxFacts = 20

    public init() {}

    /// ``logLevelName`` as a level (validation guarantees it parses).
    public var logLevel: Logger.Level { Logger.Level(rawValue: logLevelName) ?? .info }

    /// How memories enter a chat request's messages.
    public enum Injection: String, Sendable, CaseIterable {
        case merge, prepend
    }

    public var chatInjection: Injection { Injection(rawValue: chatInjectionName) ?? .merge }

    /// How the memories of a prompt are ordered.
    public enum Ranking: String, Sendable, CaseIterable {
        case blend, relevance
    }

    public var ranking: Ranking { Ranking(rawValue: rankingName) ?? .blend }

    /// The upstream API of the extraction call.
    public enum LearningAPI: String, Sendable, CaseIterable {
        case chatCompletions = "chat_completions"
        case responses
    }

    public var learningAPI: LearningAPI { LearningAPI(rawValue: learningAPIName) ?? .chatCompletions }

}
