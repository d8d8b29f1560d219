package io.quotahub.engine;

import java.time.Instant;

/**
 * The engine's record of a granted lease (the SDK's {@code Lease} is the agent's handle on one):
 * permission for one provider call on {@code keyId}. It occupies capacity from {@code grantedAt}
 * until it is settled (or expires), and then sits in the windows at its settle time.
 *
 * @param hubId        the hub whose budget admitted it (and whose ledger holds it)
 * @param holderDigest opaque to the engine: the digest of the lease secret, by which the hub knows
 *                     the lease's holder (never the secret itself); empty when none was issued
 * @param principal    opaque to the engine: who asked for it, as the hub's transport authenticated
 *                     it; empty when unauthenticated
 */
public record LeaseRecord(String leaseId, String hubId, String pool, String keyId, long tokens, Priority priority,
                          String agentId, String requestId, Instant grantedAt, Instant expiresAt, String holderDigest,
                          String principal) {

    public LeaseRecord {
        holderDigest = holderDigest == null ? "" : holderDigest;
        principal = principal == null ? "" : principal;
    }

    /** A lease without a principal. */
    public LeaseRecord(String leaseId, String hubId, String pool, String keyId, long tokens, Priority priority,
                       String agentId, String requestId, Instant grantedAt, Instant expiresAt, String holderDigest) {
        this(leaseId, hubId, pool, keyId, tokens, priority, agentId, requestId, grantedAt, expiresAt, holderDigest, "");
    }

    /** A lease without a holder digest or principal. */
    public LeaseRecord(String leaseId, String hubId, String pool, String keyId, long tokens, Priority priority,
                       String agentId, String requestId, Instant grantedAt, Instant expiresAt) {
        this(leaseId, hubId, pool, keyId, tokens, priority, agentId, requestId, grantedAt, expiresAt, "", "");
    }
}
