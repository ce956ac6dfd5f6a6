import Hummingbird
import Synchronization

/// The paths the router serves and the methods of each, so that a request with a known path
/// and another method is told `405 method_not_allowed`, not `404 route_not_found`:
/// Hummingbird's router reports both as "not found".
///
/// Filled once, from the router after the routes are installed (``MemoryServer/makeRouter()``);
/// read on the error path only.
public final class RouteTable: Sendable {
    private struct Route: Sendable {
        let path: RouterPath
        let method: HTTPRequest.Method
    }
    private let routes = Mutex<[Route]>([])

    public init() {}

    /// Records every route of `router`.
    public func load(from router: Router<some RequestContext>) {
        let all = router.routes.map { Route(path: $0.path, method: $0.method) }
        routes.withLock { $0 = all }
    }

    /// The methods served on `path`, sorted by name; empty when no route has that path.
    /// O(routes · components).
    public func methods(for path: String) -> [HTTPRequest.Method] {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = routes.withLock { routes in
            routes.filter { Self.matches($0.path, components) }.map(\.method)
        }
        return Array(Set(methods)).sorted { $0.rawValue < $1.rawValue }
    }

    static func matches(_ template: RouterPath, _ path: [Substring]) -> Bool {
        var index = 0
        for element in template {
            if element == .recursiveWildcard { return true }
            guard index < path.count, element ~= path[index] else { return false }
            index += 1
        }
        return index == path.count
    }
}
