import EngramService
import Hummingbird
import Logging
import MemoryClient
import ServiceLifecycle

/// engram-prompt wired together: what `engram-prompt` runs and what tests start in-process.
///
/// ``services`` is in start order for a `ServiceGroup`; services stop in reverse, so the server
/// drains its requests first, then the learning queue finishes the exchanges they queued, then
/// the upstream client's connection pool closes.
public struct PromptRuntime: Sendable {
    public let configuration: PromptConfiguration
    public let server: PromptServer
    public let learning: LearningQueue
    public let upstream: UpstreamClient
    public let metrics: PromptMetrics
    public let client: MemoryClient

    public var services: [any Service] { [upstream, learning, server] }

    /// Loads the templates (an error now, not at the first request) and builds the services.
    /// - Throws: ``TemplateError``.
    public init(configuration: PromptConfiguration, logger: Logger) throws(TemplateError) {
        var required = [configuration.defaultTemplate, configuration.systemTemplate]
        if configuration.learningEnabled { required.append(configuration.learningTemplate) }
        let templates = try TemplateSet(directory: configuration.templatesDirectory, required: required)
        let metrics = PromptMetrics()
        let client = MemoryClient(socketPath: configuration.daemonSocket, actor: configuration.daemonActor,
                                  timeoutSeconds: configuration.daemonTimeoutSeconds)
        let upstream = UpstreamClient(configuration: configuration, logger: logger)
        let assembler = PromptAssembler(client: client, templates: templates, configuration: configuration, metrics: metrics,
                                        logger: logger)
        let learner = Learner(upstream: upstream, templates: templates, client: client, configuration: configuration,
                              metrics: metrics, logger: logger)
        let learning = LearningQueue(learner: learner, metrics: metrics, logger: logger)

        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(record: { [metrics] in
            metrics.recordRequest(route: $0.route, method: $0.method, status: $0.status, duration: $0.duration)
        }))
        router.add(middleware: ErrorMiddleware(bodyLimit: configuration.maxBodyBytes, internalError: .promptInternalError))
        PromptRoutes(assembler: assembler, client: client, upstream: upstream, configuration: configuration, metrics: metrics)
            .register(on: router)
        ChatRoutes(assembler: assembler, upstream: upstream, queue: learning, configuration: configuration, metrics: metrics,
                   logger: logger).register(on: router)
        OpenAIRoutes(client: client, upstream: upstream, configuration: configuration).register(on: router)
        ResponsesRoutes(assembler: assembler, upstream: upstream, queue: learning, configuration: configuration, metrics: metrics,
                        logger: logger).register(on: router)

        self.configuration = configuration
        self.server = PromptServer(configuration: configuration, router: router, logger: logger)
        self.learning = learning
        self.upstream = upstream
        self.metrics = metrics
        self.client = client
    }
}
