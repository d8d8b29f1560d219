package io.quotahub.engine;

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

    public QuotaEngine(EngineConfig config, Clock clock, EngineListener listener) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Decides one lease now; a grant is recorded before this returns. */
    public Decision acquire(AcquireRequest request) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Undoes a grant whose ledger append failed: afterwards it is as if it was never granted. */
    public void cancel(String leaseId) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Settles a lease, live or from a ledger; charges it into the windows at its settle time. */
    public SettleResult settle(Settlement settlement) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Records a grant read from a ledger (own or peer) without an admission check. */
    public void replayGrant(Lease lease) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Leases past their expiry; each is settled as {@link Outcome#EXPIRED} at its expiry time. */
    public List<Settlement> expireDue() {
        throw new UnsupportedOperationException("not yet");
    }

    public Optional<Lease> openLease(String leaseId) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Re-enables a key disabled by an auth failure. @return false if no such key */
    public boolean enableKey(String pool, String keyId) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Advances thermal smoothing, trends and recovery; the hub calls it about once a second. */
    public void tick() {
        throw new UnsupportedOperationException("not yet");
    }

    public EngineView view() {
        throw new UnsupportedOperationException("not yet");
    }
}
