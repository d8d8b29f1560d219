package io.quotahub.engine.internal;


import io.quotahub.engine.CircuitState;
import io.quotahub.engine.CooldownConfig;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.RefusalCode;

import java.util.List;

/**
 * Cooldown, circuit breaker and disabling of one key (docs/architecture.md, "Cooldown and circuit breaker"), driven by settlements.
 *
 * <p>Reading of the spec: a provider 429 cools the key down for its Retry-After if given, else the
 * next step of the ladder (1 s, 3 s, 10 s, 30 s, last repeats); the ladder restarts after an OK.
 * {@code failuresToBlock} consecutive failures (429 or ERROR) trip the circuit OPEN for
 * {@code openFor} (30 s), after which it is HALF_OPEN and admits exactly one probe lease; the
 * probe's OK closes it, its failure opens it again. Each trip to OPEN also blocks the key for
 * {@code blockFor} (5 min): the probe is only granted once both the open period and the block are
 * over, so with the defaults the key rests 5 min and is then probed (set blockFor &lt;= openFor to
 * probe after 30 s). AUTH_FAILED disables the key until an operator enables it. EXPIRED and UNKNOWN are
 * neutral (the call's fate is unknown); an expired, unknown or cancelled probe frees the probe slot.
 *
 * <p>No report can cool a key down for longer than {@code maxCooldown}: a Retry-After (and a ladder
 * step) above it is clamped, and {@code at + cooldown} saturates instead of wrapping. An operator's
 * {@link #reset} clears everything a report can cause.
 *
 * <p>Times are the settlements' own times, so replaying a ledger rebuilds the same state.
 * Not thread-safe: the owning pool's lock guards it.
 */
final class KeyGuard {

    private final List<Long> ladderMillis;
    private final long maxCooldownMillis;
    private final int failuresToBlock;
    private final long blockForMillis;
    private final long openForMillis;

    private int consecutiveFailures;
    private int rateLimitStreak;
    private long cooldownUntil = Long.MIN_VALUE;
    private long blockedUntil = Long.MIN_VALUE;
    private CircuitState circuit = CircuitState.CLOSED;
    private long openUntil = Long.MIN_VALUE;
    private String probeLeaseId;
    private boolean disabled;

    KeyGuard(CooldownConfig config) {
        this.maxCooldownMillis = Math.max(1, Units.millis(config.maxCooldown()));
        this.ladderMillis = config.ladder().stream().map(d -> Units.clamp(Units.millis(d), 0, maxCooldownMillis)).toList();
        this.failuresToBlock = config.failuresToBlock();
        this.blockForMillis = Math.max(0, Units.millis(config.blockFor()));
        this.openForMillis = Math.max(0, Units.millis(config.openFor()));
    }

    /**
     * Cooldown after the n-th consecutive 429 (n >= 1): Retry-After wins, else the ladder step;
     * never more than {@code maxMillis}.
     */
    static long cooldownMillis(List<Long> ladder, int streak, long retryAfterMillis, long maxMillis) {
        long cooldown = retryAfterMillis > 0 ? retryAfterMillis : ladder.get(Math.max(1, Math.min(streak, ladder.size())) - 1);
        return Math.min(cooldown, maxMillis);
    }

    /** Moves OPEN to HALF_OPEN once the open period is over. @return the previous state if it changed, else null */
    CircuitState refresh(long now) {
        if (circuit == CircuitState.OPEN && now >= openUntil) {
            circuit = CircuitState.HALF_OPEN;
            probeLeaseId = null;
            return CircuitState.OPEN;
        }
        return null;
    }

    /** Why the key may not take a lease now, or null. Call {@link #refresh} first. */
    RefusalCode blockedBy(long now) {
        if (disabled) {
            return RefusalCode.KEY_DISABLED;
        }
        if (now < cooldownUntil()) {
            return RefusalCode.COOLDOWN;
        }
        if (circuit == CircuitState.OPEN || (circuit == CircuitState.HALF_OPEN && probeLeaseId != null)) {
            return RefusalCode.CIRCUIT_OPEN;
        }
        return null;
    }

    /** Milliseconds until {@link #blockedBy} may change. */
    long millisUntilUnblocked(long now, long probeWaitMillis) {
        if (disabled) {
            return blockForMillis;
        }
        // both a cooldown and an open circuit must be over before the key serves again
        long until = circuit == CircuitState.OPEN ? Math.max(cooldownUntil(), openUntil) : cooldownUntil();
        if (now < until) {
            return Units.sub(until, now);
        }
        return probeWaitMillis;
    }

    void onGrant(String leaseId) {
        if (circuit == CircuitState.HALF_OPEN && probeLeaseId == null) {
            probeLeaseId = leaseId;
        }
    }

    /** A lease that will never report (cancelled, expired): if it was the probe, allow another. */
    void onRelease(String leaseId) {
        if (leaseId.equals(probeLeaseId)) {
            probeLeaseId = null;
        }
    }

    /**
     * Applies a settlement. @return the previous circuit state if it changed, else null
     */
    CircuitState onSettle(String leaseId, Outcome outcome, long retryAfterMillis, long at) {
        CircuitState before = circuit;
        boolean probe = leaseId.equals(probeLeaseId);
        switch (outcome) {
            case OK -> {
                consecutiveFailures = 0;
                rateLimitStreak = 0;
                if (probe) {
                    circuit = CircuitState.CLOSED;
                    probeLeaseId = null;
                }
            }
            case RATE_LIMITED, ERROR -> {
                consecutiveFailures = saturatedIncrement(consecutiveFailures);
                if (outcome == Outcome.RATE_LIMITED) {
                    rateLimitStreak = saturatedIncrement(rateLimitStreak);
                    long until = Units.add(at, cooldownMillis(ladderMillis, rateLimitStreak, retryAfterMillis, maxCooldownMillis));
                    cooldownUntil = Math.max(cooldownUntil, until);
                }
                if (probe || (circuit == CircuitState.CLOSED && consecutiveFailures >= failuresToBlock)) {
                    circuit = CircuitState.OPEN;
                    openUntil = Units.add(at, openForMillis);
                    blockedUntil = Math.max(blockedUntil, Units.add(at, blockForMillis));
                    probeLeaseId = null;
                }
            }
            case AUTH_FAILED -> disabled = true;
            case EXPIRED, UNKNOWN -> onRelease(leaseId);
            default -> { }
        }
        return circuit == before ? null : before;
    }

    private static int saturatedIncrement(int n) {
        return n == Integer.MAX_VALUE ? n : n + 1;
    }

    /**
     * The earliest time after {@code now} (refreshed) at which {@link #refresh}, {@link #coolingDown}
     * or {@link #blocked} change by themselves; MAX if none.
     */
    long nextChangeAt(long now) {
        long t = Long.MAX_VALUE;
        if (circuit == CircuitState.OPEN) {
            t = openUntil;
        }
        if (cooldownUntil > now) {
            t = Math.min(t, cooldownUntil);
        }
        if (blockedUntil > now) {
            t = Math.min(t, blockedUntil);
        }
        return t;
    }

    /** An operator's reset: no cooldown, no block, circuit CLOSED, enabled. @return the previous circuit state if it changed, else null */
    CircuitState reset() {
        CircuitState before = circuit;
        consecutiveFailures = 0;
        rateLimitStreak = 0;
        cooldownUntil = Long.MIN_VALUE;
        blockedUntil = Long.MIN_VALUE;
        circuit = CircuitState.CLOSED;
        openUntil = Long.MIN_VALUE;
        probeLeaseId = null;
        disabled = false;
        return before == circuit ? null : before;
    }

    boolean enable() {
        boolean was = disabled;
        disabled = false;
        return was;
    }

    boolean disabled() {
        return disabled;
    }

    CircuitState circuit() {
        return circuit;
    }

    /** The state {@link #refresh} would show at {@code now}, without changing anything (for views). */
    CircuitState circuitAt(long now) {
        return circuit == CircuitState.OPEN && now >= openUntil ? CircuitState.HALF_OPEN : circuit;
    }

    /** The later of the 429 cooldown and the failure block. */
    long cooldownUntil() {
        return Math.max(cooldownUntil, blockedUntil);
    }

    boolean coolingDown(long now) {
        return now < cooldownUntil();
    }

    boolean blocked(long now) {
        return now < blockedUntil;
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------

    record State(int consecutiveFailures, int rateLimitStreak, long cooldownUntil, long blockedUntil,
                 CircuitState circuit, long openUntil, String probeLeaseId, boolean disabled) {
    }

    State state() {
        return new State(consecutiveFailures, rateLimitStreak, cooldownUntil, blockedUntil, circuit, openUntil,
                probeLeaseId, disabled);
    }

    void restore(State s) {
        consecutiveFailures = s.consecutiveFailures();
        rateLimitStreak = s.rateLimitStreak();
        cooldownUntil = s.cooldownUntil();
        blockedUntil = s.blockedUntil();
        circuit = s.circuit();
        openUntil = s.openUntil();
        probeLeaseId = s.probeLeaseId();
        disabled = s.disabled();
    }
}
