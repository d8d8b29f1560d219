package io.quotahub.engine;

import java.util.Objects;

/**
 * What an agent asks for: one call on a key of {@code pool}, reserving {@code tokens}; or, with
 * {@code blockCalls > 0}, a block of up to that many calls of about {@code tokens} each
 * (docs/architecture.md, "Block leases"), which the engine may grant smaller.
 *
 * @param holderDigest opaque to the engine: the digest of the secret the hub hands the holder with
 *                     the grant; recorded in the {@link LeaseRecord} ("" for none)
 * @param principal    opaque to the engine: who asked, as the hub's transport authenticated it;
 *                     recorded in the {@link LeaseRecord} ("" for none)
 * @param blockCalls   0: one call; n &gt; 0: a block of at most n calls (a pool without blocks grants one call)
 */
public record AcquireRequest(String pool, long tokens, Priority priority, String agentId, String requestId,
                             String holderDigest, String principal, int blockCalls) {

    public AcquireRequest {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(requestId, "requestId");
        holderDigest = holderDigest == null ? "" : holderDigest;
        principal = principal == null ? "" : principal;
    }

    /** A request for one call. */
    public AcquireRequest(String pool, long tokens, Priority priority, String agentId, String requestId,
                          String holderDigest, String principal) {
        this(pool, tokens, priority, agentId, requestId, holderDigest, principal, 0);
    }

    /** This request as one for a block of at most {@code calls} calls of about {@link #tokens} each. */
    public AcquireRequest withBlock(int calls) {
        return new AcquireRequest(pool, tokens, priority, agentId, requestId, holderDigest, principal, calls);
    }

    /** A request without a principal. */
    public AcquireRequest(String pool, long tokens, Priority priority, String agentId, String requestId,
                          String holderDigest) {
        this(pool, tokens, priority, agentId, requestId, holderDigest, "");
    }

    /** A request without a holder digest. */
    public AcquireRequest(String pool, long tokens, Priority priority, String agentId, String requestId) {
        this(pool, tokens, priority, agentId, requestId, "", "");
    }
}
