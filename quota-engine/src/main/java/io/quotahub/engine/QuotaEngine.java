package io.quotahub.engine;

import io.quotahub.engine.internal.EngineCore;
import io.quotahub.engine.view.EngineView;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The quota engine of one hub: decides leases against the limits, budgets, cooldowns, circuits
 * and thermal state of its pools. Pure Java: no I/O, time only from the injected clock.
 *
 * <p>State is a fold of ledger events: {@link #acquire} records the grant it returns at once
 * (so concurrent decisions see it); the hub makes it durable and calls {@link #cancel} if it
 * could not. {@link #replayGrant} and {@link #settle} rebuild the same state from a ledger.
 * Thread-safe; decisions on different keys do not contend on a shared lock.
 */
public final class QuotaEngine {

    private final EngineCore core;

    public QuotaEngine(EngineConfig config, Clock clock, EngineListener listener) {
        this.core = new EngineCore(java.util.Objects.requireNonNull(config, "config"),
                java.util.Objects.requireNonNull(clock, "clock"), listener);
    }

    /** Decides one lease now; a grant is recorded before this returns. */
    public Decision acquire(AcquireRequest request) {
        return core.acquire(request);
    }

    /** Undoes a grant whose ledger append failed: afterwards it is as if it was never granted. */
    public void cancel(String leaseId) {
        core.cancel(leaseId);
    }

    /** Settles a lease, live or from a ledger; charges it into the windows at its settle time. */
    public SettleResult settle(Settlement settlement) {
        return core.settle(settlement);
    }

    /** Records a grant read from a ledger (own or peer) without an admission check. */
    public void replayGrant(Lease lease) {
        core.replayGrant(lease);
    }

    /** Leases past their expiry; each is settled as {@link Outcome#EXPIRED} at its expiry time. */
    public List<Settlement> expireDue() {
        return core.expireDue();
    }

    public Optional<Lease> openLease(String leaseId) {
        return core.openLease(leaseId);
    }

    /** Re-enables a key disabled by an auth failure. @return false if no such key */
    public boolean enableKey(String pool, String keyId) {
        return core.enableKey(pool, keyId);
    }

    /** Advances thermal smoothing, trends and recovery; the hub calls it about once a second. */
    public void tick() {
        core.tick();
    }

    public EngineView view() {
        return core.view();
    }
}
