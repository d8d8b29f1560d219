package io.quotahub.engine.internal;

import io.quotahub.engine.LeaseRecord;

/** A granted, unsettled lease and where it is counted. */
final class OpenLease {

    final LeaseRecord lease;
    final PoolState pool;
    final KeyState key;
    /**
     * Slot ({@link Budgets#slot}) of the hub whose budgets this lease counts against: the granting
     * hub, or the survivor after a takeover. Guarded by the pool's lock.
     */
    int slot;
    final long grantedAtMillis;
    final long expiresAtMillis;
    /** Neighbours among the open leases of the same agent in the pool ({@link AgentShares}); guarded by the pool's lock. */
    OpenLease agentPrev;
    OpenLease agentNext;

    OpenLease(LeaseRecord lease, PoolState pool, KeyState key, int slot) {
        this.lease = lease;
        this.pool = pool;
        this.key = key;
        this.slot = slot;
        this.grantedAtMillis = Units.epochMillis(lease.grantedAt(), 0);
        this.expiresAtMillis = Units.epochMillis(lease.expiresAt(), 0);
    }

    String id() {
        return lease.leaseId();
    }
}
