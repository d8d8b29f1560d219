package io.quotahub.engine.internal;

import io.quotahub.engine.Lease;

/** A granted, unsettled lease and where it is counted. */
final class OpenLease {

    final Lease lease;
    final PoolState pool;
    final KeyState key;
    /** Granted by this hub: counted against this hub's budgets. */
    final boolean own;
    final long grantedAtMillis;
    final long expiresAtMillis;

    OpenLease(Lease lease, PoolState pool, KeyState key, boolean own) {
        this.lease = lease;
        this.pool = pool;
        this.key = key;
        this.own = own;
        this.grantedAtMillis = lease.grantedAt().toEpochMilli();
        this.expiresAtMillis = lease.expiresAt().toEpochMilli();
    }

    String id() {
        return lease.leaseId();
    }
}
