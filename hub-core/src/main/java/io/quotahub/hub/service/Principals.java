package io.quotahub.hub.service;

import io.quotahub.proto.Subjects;

/**
 * Who made a request, as the transport authenticated it — never a field the client fills in. One
 * format everywhere (ledger, audit, settle checks):
 * <ul>
 *   <li>{@code nats:<user>} — a NATS request whose reply subject is in the agent inbox of NATS user
 *       {@code <user>} ({@code _QH.agent.<user>.>}): the servers let only that user read there;</li>
 *   <li>{@code token:<name>} — an HTTP request with the bearer token of the entry named {@code <name>};</li>
 *   <li>{@code local} — an HTTP request from the hub's own machine in protected mode (no tokens);</li>
 *   <li>{@code ""} — unauthenticated: a NATS request whose reply is outside every agent inbox (no
 *       NATS users, the default {@code _INBOX} prefix). Its self-declared agent id is unverified.</li>
 * </ul>
 * A {@code nats:} or {@code token:} principal {@linkplain #binds binds} its leases: only the same
 * principal may settle them.
 */
public final class Principals {

    public static final String NATS = "nats:";
    public static final String TOKEN = "token:";
    public static final String LOCAL = "local";
    public static final String NONE = "";

    private static final int SLOTS = 256; // a power of two; more agent users than this only costs a concat each
    /** Seen agent users: an entry holds "_QH.agent.<user>." and "nats:<user>" (one reference, so no torn reads). */
    private static final Entry[] CACHE = new Entry[SLOTS];

    private Principals() {
    }

    /** The principal of an HTTP bearer token entry. */
    public static String token(String entryName) {
        return TOKEN + entryName;
    }

    /** The principal of a NATS user. */
    public static String nats(String natsUser) {
        return NATS + natsUser;
    }

    /**
     * The principal of a NATS request by its reply subject: {@code nats:<user>} when the reply is in
     * user's agent inbox, else {@link #NONE}. For the acquire path: a prefix check, and no allocation
     * once a user's principal was seen (a small cache, safe without locks: each slot is read as one
     * reference and checked against the subject).
     */
    public static String ofReply(String replyTo) {
        if (replyTo == null || !replyTo.startsWith(Subjects.AGENT_INBOX_ROOT)) {
            return NONE;
        }
        int start = Subjects.AGENT_INBOX_ROOT.length();
        int end = replyTo.indexOf('.', start);
        if (end <= start) {
            return NONE;
        }
        int hash = 0;
        for (int i = start; i < end; i++) {
            hash = 31 * hash + replyTo.charAt(i);
        }
        int slot = (hash ^ (hash >>> 16)) & (SLOTS - 1);
        Entry cached = CACHE[slot];
        if (cached != null && cached.prefix.length() == end + 1 && replyTo.startsWith(cached.prefix)) {
            return cached.principal;
        }
        String user = replyTo.substring(start, end);
        Entry fresh = new Entry(replyTo.substring(0, end + 1), nats(user));
        CACHE[slot] = fresh;
        return fresh.principal;
    }

    /** Whether leases granted to {@code principal} may be settled only by that same principal. */
    public static boolean binds(String principal) {
        return principal != null && (principal.startsWith(NATS) || principal.startsWith(TOKEN));
    }

    /** How a principal is shown: itself, or for an unauthenticated one the agent id it declared, marked as such. */
    public static String shown(String principal, String declaredAgentId) {
        return principal == null || principal.isEmpty() ? "unverified agent id '" + declaredAgentId + "'" : principal;
    }

    private record Entry(String prefix, String principal) {
    }
}
