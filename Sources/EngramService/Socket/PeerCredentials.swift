import HTTPTypes
import Hummingbird

/// The identity of the process at the other end of a Unix socket, as the kernel reports it
/// (SO_PEERCRED): captured when the peer called `connect`, so it cannot be forged by the peer.
public struct PeerCredentials: Sendable, Equatable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32

    public init(uid: UInt32, gid: UInt32, pid: Int32) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }

    public var description: String { "uid=\(uid) gid=\(gid) pid=\(pid)" }

    /// Header the connection handler sets on every request from a Unix-socket peer (after
    /// deleting any copy the client sent), so handlers and the audit log can name the actor.
    public static let headerName = HTTPField.Name("Engram-Peer-Credentials")!

    /// Parses the header value written by the connection handler.
    init?(headerValue: String) {
        var uid: UInt32?, gid: UInt32?, pid: Int32?
        for part in headerValue.split(separator: " ") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            switch pair[0] {
            case "uid": uid = UInt32(pair[1])
            case "gid": gid = UInt32(pair[1])
            case "pid": pid = Int32(pair[1])
            default: return nil
            }
        }
        guard let uid, let gid, let pid else { return nil }
        self.init(uid: uid, gid: gid, pid: pid)
    }
}

/// Which peers may use the Unix socket.
public struct PeerAllowlist: Sendable, Equatable {
    public var uids: Set<UInt32>
    public var gids: Set<UInt32>

    public init(uids: some Sequence<UInt32> = [], gids: some Sequence<UInt32> = []) {
        self.uids = Set(uids)
        self.gids = Set(gids)
    }

    /// Both lists empty: no restriction beyond the socket file's mode.
    public var isUnrestricted: Bool { uids.isEmpty && gids.isEmpty }

    /// A peer passes if the allowlist is unrestricted, or its uid or its primary gid is listed.
    public func allows(_ peer: PeerCredentials) -> Bool {
        isUnrestricted || uids.contains(peer.uid) || gids.contains(peer.gid)
    }
}

extension Request {
    /// The Unix-socket peer that sent this request; nil over TCP.
    public var peerCredentials: PeerCredentials? {
        headers[PeerCredentials.headerName].flatMap(PeerCredentials.init(headerValue:))
    }
}
