package io.quotahub.engine;

import java.util.Objects;

/**
 * What an agent asks for: one call on a key of {@code pool}, reserving {@code tokens}.
 *
 * @param holderDigest opaque to the engine: the digest of the secret the hub hands the holder with
 *                     the grant; recorded in the {@link LeaseRecord} ("" for none)
 * @param principal    opaque to the engine: who asked, as the hub's transport authenticated it;
 *                     recorded in the {@link LeaseRecord} ("" for none)
 */
public record AcquireRequest(String pool, long tokens, Priority priority, String agentId, String requestId,
                             String holderDigest, String principal) {

    public AcquireRequest {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(requestId, "requestId");
        holderDigest = holderDigest == null ? "" : holderDigest;
        principal = principal == null ? "" : principal;
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
