package io.quotahub.engine;

import java.time.Instant;

/**
 * Permission for one provider call on {@code keyId}. It occupies capacity from {@code grantedAt}
 * until it is settled (or expires), and then sits in the windows at its settle time.
 *
 * @param hubId        the hub whose budget admitted it (and whose ledger holds it)
 * @param holderDigest opaque to the engine: the digest of the lease secret, by which the hub knows
 *                     the lease's holder (never the secret itself); empty when none was issued
 * @param principal    opaque to the engine: who asked for it, as the hub's transport authenticated
 *                     it; empty when unauthenticated
 */
public record Lease(String leaseId, String hubId, String pool, String keyId, long tokens, Priority priority,
                    String agentId, String requestId, Instant grantedAt, Instant expiresAt, String holderDigest,
                    String principal) {

    public Lease {
        holderDigest = holderDigest == null ? "" : holderDigest;
        principal = principal == null ? "" : principal;
    }

    /** A lease without a principal. */
    public Lease(String leaseId, String hubId, String pool, String keyId, long tokens, Priority priority,
                 String agentId, String requestId, Instant grantedAt, Instant expiresAt, String holderDigest) {
        this(leaseId, hubId, pool, keyId, tokens, priority, agentId, requestId, grantedAt, expiresAt, holderDigest, "");
    }

    /** A lease without a holder digest or principal. */
    public Lease(String leaseId, String hubId, String pool, String keyId, long tokens, Priority priority,
                 String agentId, String requestId, Instant grantedAt, Instant expiresAt) {
        this(leaseId, hubId, pool, keyId, tokens, priority, agentId, requestId, grantedAt, expiresAt, "", "");
    }
}
