package io.quotahub.proto;

/**
 * NATS subjects of the wire contract, beside the messages that travel on them. Hand-written (with
 * {@link WireBounds}, the only other one): agents and hubs must agree on these as on the messages.
 */
public final class Subjects {

    /** Acquire requests; hubs subscribe in {@link #HUB_QUEUE}, so NATS prefers the local hub. */
    public static final String ACQUIRE = "qh.v1.acquire";
    /** Settle requests, answered by any hub that knows the lease. */
    public static final String SETTLE = "qh.v1.settle";
    /** Queue group of all hubs. */
    public static final String HUB_QUEUE = "qh-hubs";
    /** Agent heartbeats; every hub listens (no queue group). */
    public static final String HEARTBEAT = "qh.v1.heartbeat";
    /** Hubs announce themselves here every 250 ms so agents learn their ids and readiness. */
    public static final String HUBS = "qh.v1.hubs";
    /** Hubs publish their recent demand here for rebalancing (advisory, never in a ledger). */
    public static final String DEMAND = "qh.v1.demand";

    /** Root of the agents' inboxes: agent user {@code U} reads replies under {@code _QH.agent.U.>} only. */
    public static final String AGENT_INBOX_ROOT = "_QH.agent.";
    /** Root of the hubs' inboxes (JetStream acks, consumers): hub {@code H} reads {@code _QH.hub.H.>} only. */
    public static final String HUB_INBOX_ROOT = "_QH.hub.";

    private Subjects() {
    }

    /**
     * Inbox prefix of a NATS user that runs agents. The servers let that user subscribe under this
     * prefix and nowhere else, so a reply subject under it reaches only that user: the hub takes the
     * prefix's user as the requester's identity.
     */
    public static String agentInboxPrefix(String natsUser) {
        return AGENT_INBOX_ROOT + natsUser;
    }

    /** Inbox prefix of a hub's own connection. */
    public static String hubInboxPrefix(String hubId) {
        return HUB_INBOX_ROOT + hubId;
    }

    /**
     * The NATS user whose inbox a reply subject is in ({@code _QH.agent.U.…} → {@code U}), or null
     * when the reply is not under an agent inbox (a client with the default {@code _INBOX} prefix).
     */
    public static String agentUserOfReply(String replyTo) {
        if (replyTo == null || !replyTo.startsWith(AGENT_INBOX_ROOT)) {
            return null;
        }
        int end = replyTo.indexOf('.', AGENT_INBOX_ROOT.length());
        return end <= AGENT_INBOX_ROOT.length() ? null : replyTo.substring(AGENT_INBOX_ROOT.length(), end);
    }

    /** Direct acquire subject of one hub, used when the queue route times out (a hung hub). */
    public static String hubAcquire(String hubId) {
        return "qh.v1.hub." + hubId + ".acquire";
    }

    /** Direct settle subject of one hub. */
    public static String hubSettle(String hubId) {
        return "qh.v1.hub." + hubId + ".settle";
    }

    /** Name of a hub's ledger stream. */
    public static String ledgerStream(String hubId) {
        return "QH_LEDGER_" + hubId;
    }

    /** All subjects of a hub's ledger stream. */
    public static String ledgerSubjects(String hubId) {
        return "qh.ledger." + hubId + ".>";
    }

    /** Name of the stream in this hub's domain that holds a 1:1 copy of the peer's ledger. */
    public static String peerCopyStream(String peerId) {
        return "QH_PEER_" + peerId;
    }

    /** The single subject on which a hub appends its own events. */
    public static String ledgerEvents(String hubId) {
        return "qh.ledger." + hubId + ".events";
    }

    /** The subject on which the peer appends a fence to this hub's ledger. */
    public static String ledgerFence(String hubId) {
        return "qh.ledger." + hubId + ".fence";
    }
}
