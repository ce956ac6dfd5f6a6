import EngramAPI
import Hummingbird

/// An ``APIError`` thrown by a handler becomes its JSON document with its status.
extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        errorResponse()
    }

    /// The JSON response for this error.
    public func errorResponse() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jsonBody())))
    }
}

extension APIError {
    /// The connecting process is not in the peer allowlist.
    public static func peerNotAllowed(_ peer: PeerCredentials) -> APIError {
        .init(status: .forbidden, code: "peer_not_allowed",
              message: "peer uid \(peer.uid) gid \(peer.gid) is not in the allowlist of this daemon")
    }
}
