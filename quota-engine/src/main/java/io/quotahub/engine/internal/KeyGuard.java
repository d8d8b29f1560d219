package io.quotahub.engine.internal;


import io.quotahub.engine.CircuitState;
import io.quotahub.engine.CooldownConfig;
import io.quotahub.engine.CooldownLearning;
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
 * {@code blockFor} (default 30 s, as long as the open period): the probe is only granted once both
 * the open period and the block are over, so with the defaults the key rests 30 s and is then
 * probed (a longer blockFor rests a failing key longer before its probe). AUTH_FAILED disables the key until an operator enables it. EXPIRED and UNKNOWN are
 * neutral (the call's fate is unknown); an expired, unknown or cancelled probe frees the probe slot.
 *
 * <p>No report can cool a key down for longer than {@code maxCooldown}: a Retry-After (and a ladder
 * step) above it is clamped, and {@code at + cooldown} saturates instead of wrapping. An operator's
 * {@link #reset} clears everything a report can cause.
 *
 * <p>The ladder learns ({@link CooldownLearning}): a 429 at or after the end of the key's last
 * cooldown and less than one more cooldown length {@code A} later is a relapse, and the key learns
 * {@code L = min(maxCooldown, max(first step, growth × A))}. A 429 without a Retry-After then cools
 * the key for {@code min(maxCooldown, max(ladder step, L))}; with one, for the Retry-After (clamped)
 * as before. Every {@code successesToShorten} OKs in a row (a 429 restarts the count) halve
 * {@code L}; a half not above the first step forgets it. {@code A} is the length of the cooldown
 * that ends last, whatever set it (a Retry-After too). An operator's reset forgets all of it.
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
    private final int growth;
    private final int successesToShorten;

    private int consecutiveFailures;
    private int rateLimitStreak;
    private long cooldownUntil = Long.MIN_VALUE;
    private long blockedUntil = Long.MIN_VALUE;
    private CircuitState circuit = CircuitState.CLOSED;
    private long openUntil = Long.MIN_VALUE;
    private String probeLeaseId;
    private boolean disabled;
    /** What the key learned (0: nothing, the plain ladder), the last cooldown's length, OKs in a row since. */
    private long learnedMillis;
    private long lastCooldownMillis;
    private int successes;
    /** The cooldown the last {@link #onSettle} applied, 0 if none (not state: read right after it). */
    private long appliedMillis;

    KeyGuard(CooldownConfig config) {
        this.maxCooldownMillis = Math.max(1, Units.millis(config.maxCooldown()));
        this.ladderMillis = config.ladder().stream().map(d -> Units.clamp(Units.millis(d), 0, maxCooldownMillis)).toList();
        this.failuresToBlock = config.failuresToBlock();
        this.blockForMillis = Math.max(0, Units.millis(config.blockFor()));
        this.openForMillis = Math.max(0, Units.millis(config.openFor()));
        CooldownLearning learning = config.learning();
        this.growth = learning.growth();
        this.successesToShorten = learning.successesToShorten();
    }

    /**
     * Cooldown after the n-th consecutive 429 (n >= 1): Retry-After wins, else the ladder step;
     * never more than {@code maxMillis}.
     */
    static long cooldownMillis(List<Long> ladder, int streak, long retryAfterMillis, long maxMillis) {
        return cooldownMillis(ladder, streak, retryAfterMillis, 0, maxMillis);
    }

    /** As above, and a 429 without a Retry-After cools for at least what the key learned. */
    static long cooldownMillis(List<Long> ladder, int streak, long retryAfterMillis, long learnedMillis, long maxMillis) {
        long cooldown = retryAfterMillis > 0 ? retryAfterMillis
                : Math.max(ladder.get(Math.max(1, Math.min(streak, ladder.size())) - 1), learnedMillis);
        return Math.min(cooldown, maxMillis);
    }

    /**
     * What a relapse teaches: {@code growth} × the last cooldown, at least the ladder's first step, at
     * most {@code maxMillis}; 0 when learning is off.
     */
    static long learnedAfterRelapse(int growth, long lastCooldownMillis, long firstStepMillis, long maxMillis) {
        if (growth == 0) {
            return 0;
        }
        long grown = lastCooldownMillis > Long.MAX_VALUE / growth ? Long.MAX_VALUE : lastCooldownMillis * growth;
        return Math.min(maxMillis, Math.max(firstStepMillis, grown));
    }

    /** What {@code successesToShorten} OKs in a row leave of {@code learnedMillis}: half, or 0 once not above the first step. */
    static long learnedAfterSuccesses(long learnedMillis, long firstStepMillis) {
        long half = learnedMillis / 2;
        return half <= firstStepMillis ? 0 : half;
    }

    /** A 429 at {@code at} comes back within one cooldown length after the last cooldown ended. */
    private boolean relapse(long at) {
        return lastCooldownMillis > 0 && at >= cooldownUntil && Units.sub(at, cooldownUntil) < lastCooldownMillis;
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
        appliedMillis = 0;
        switch (outcome) {
            case OK -> {
                consecutiveFailures = 0;
                rateLimitStreak = 0;
                if (learnedMillis > 0 && ++successes >= successesToShorten) {
                    learnedMillis = learnedAfterSuccesses(learnedMillis, ladderMillis.get(0));
                    successes = 0;
                }
                if (probe) {
                    circuit = CircuitState.CLOSED;
                    probeLeaseId = null;
                }
            }
            case RATE_LIMITED, ERROR -> {
                consecutiveFailures = saturatedIncrement(consecutiveFailures);
                if (outcome == Outcome.RATE_LIMITED) {
                    rateLimitStreak = saturatedIncrement(rateLimitStreak);
                    if (relapse(at)) {
                        learnedMillis = learnedAfterRelapse(growth, lastCooldownMillis, ladderMillis.get(0), maxCooldownMillis);
                    }
                    successes = 0;
                    appliedMillis = cooldownMillis(ladderMillis, rateLimitStreak, retryAfterMillis, learnedMillis, maxCooldownMillis);
                    long until = Units.add(at, appliedMillis);
                    if (until >= cooldownUntil) {
                        cooldownUntil = until;
                        lastCooldownMillis = appliedMillis;
                    }
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
        learnedMillis = 0;
        lastCooldownMillis = 0;
        successes = 0;
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

    /** The cooldown the last {@link #onSettle} applied (a 429's), 0 if it applied none. */
    long appliedMillis() {
        return appliedMillis;
    }

    /** What the key learned; 0: nothing, the plain ladder. */
    long learnedMillis() {
        return learnedMillis;
    }

    /** The cooldown the next 429 without a Retry-After would apply unless it is a relapse. */
    long nextCooldownMillis() {
        return cooldownMillis(ladderMillis, saturatedIncrement(rateLimitStreak), 0, learnedMillis, maxCooldownMillis);
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------

    record State(int consecutiveFailures, int rateLimitStreak, long cooldownUntil, long blockedUntil,
                 CircuitState circuit, long openUntil, String probeLeaseId, boolean disabled,
                 long learnedMillis, long lastCooldownMillis, int successes) {
    }

    State state() {
        return new State(consecutiveFailures, rateLimitStreak, cooldownUntil, blockedUntil, circuit, openUntil,
                probeLeaseId, disabled, learnedMillis, lastCooldownMillis, successes);
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
        learnedMillis = s.learnedMillis();
        lastCooldownMillis = s.lastCooldownMillis();
        successes = s.successes();
    }
}
