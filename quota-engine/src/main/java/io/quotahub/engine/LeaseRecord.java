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
 * @param blockCalls   0 for a lease of one call; n &gt; 0 for a block of n calls (docs/architecture.md,
 *                     "Block leases"), whose {@code tokens} are the whole block's
 */
public record LeaseRecord(String leaseId, String hubId, String pool, String keyId, long tokens, Priority priority,
                          String agentId, String requestId, Instant grantedAt, Instant expiresAt, String holderDigest,
                          String principal, int blockCalls) {

    public LeaseRecord {
        holderDigest = holderDigest == null ? "" : holderDigest;
        principal = principal == null ? "" : principal;
        blockCalls = Math.max(0, blockCalls);
    }

    /** A lease of one call. */
    public LeaseRecord(String leaseId, String hubId, String pool, String keyId, long tokens, Priority priority,
                       String agentId, String requestId, Instant grantedAt, Instant expiresAt, String holderDigest,
                       String principal) {
        this(leaseId, hubId, pool, keyId, tokens, priority, agentId, requestId, grantedAt, expiresAt, holderDigest,
                principal, 0);
    }

    /** Whether this is a block of calls rather than a lease of one. */
    public boolean isBlock() {
        return blockCalls > 0;
    }

    /** The calls this lease permits: 1, or the block's. */
    public int calls() {
        return Math.max(1, blockCalls);
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
