package io.quotahub.agent.internal;

import io.quotahub.agent.Block;
import io.quotahub.proto.Outcome;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * A block the client holds (docs/architecture.md, "Block leases"): its calls and tokens left, as
 * counters that a call takes from with a compare-and-set, so drawing a call neither locks nor
 * allocates. Tokens are taken before the call, so once {@link #end} has taken the calls left, every
 * call drawn before is in the count and its tokens are out of {@link #tokensLeft}.
 *
 * <p>Usable until {@code usableUntil} on the client's ticker: the hub's grant of
 * {@code expiresIn}, counted from when the client sent its request (the hub granted it later, so
 * the block ends here before it ends there, whatever the two wall clocks say), less a safety
 * margin for the time a call takes to reach the provider: 1/20 of its life plus 100 ms, or plus a
 * tenth of its life for a block shorter than 1 s (a fixed 100 ms would leave a 0.25 s block usable
 * for half its life).
 *
 * <p>Its calls drawn and completed are counted: once every call of the block was drawn and reported
 * completed ({@link #callCompleted}), it is settled at once, freeing the hubs' reservation instead of
 * holding it until the next call or its end of use.
 */
final class HeldBlock implements Block {

    /** The calls left once a block ended: below every count, so no draw succeeds. */
    private static final int ENDED = Integer.MIN_VALUE;
    /** Part of the safety margin: a block stops this long (at most a tenth of its life) before its expiry, plus 1/20 of its life. */
    static final long MARGIN_NANOS = 100_000_000L;
    private static final VarHandle LEFT;
    private static final VarHandle TOKENS_LEFT;
    private static final VarHandle COMPLETED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LEFT = l.findVarHandle(HeldBlock.class, "left", int.class);
            TOKENS_LEFT = l.findVarHandle(HeldBlock.class, "tokensLeft", long.class);
            COMPLETED = l.findVarHandle(HeldBlock.class, "completed", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What a hub granted, as the client received it. */
    record Grant(String pool, String leaseId, String hubId, String keyId, String apiKey, int calls, long tokens, long expiresInNanos,
                 long sentAtNanos, boolean isBlock, Object handle) {

        @Override
        public String toString() {
            return "Grant[" + leaseId + ", pool=" + pool + ", key=" + keyId + ", calls=" + calls + ", tokens=" + tokens
                    + ", block=" + isBlock + "]";
        }
    }

    final Grant grant;
    final long usableUntil;
    /** When the supply asks for the next block: the calls or the time it has left would last only the supply's lead. */
    final int lowWater;
    final long refillAt;
    private final BlockSupply owner;

    @SuppressWarnings("unused") // through LEFT
    private volatile int left;
    @SuppressWarnings("unused") // through TOKENS_LEFT
    private volatile long tokensLeft;
    @SuppressWarnings("unused") // through COMPLETED
    private volatile int completed;
    private final java.util.concurrent.atomic.AtomicLong tokenCorrection = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long retryAfterMs = -1;
    private volatile boolean authFailed;

    HeldBlock(BlockSupply owner, Grant grant) {
        this(owner, grant, 0, 0);
    }

    /**
     * @param lowWater  the next block is asked for when this many calls or fewer are left: the calls
     *                  the agent makes within the supply's lead at its recent rate (0: when the last is
     *                  drawn); a block of one call asks for none ahead
     * @param leadNanos ... or when this little of its usable life is left
     */
    HeldBlock(BlockSupply owner, Grant grant, int lowWater, long leadNanos) {
        this.owner = owner;
        this.grant = grant;
        long life = Math.max(0, grant.expiresInNanos());
        this.usableUntil = grant.sentAtNanos() + life - margin(life);
        // a block of one call: the hubs had no more to spare (max-calls 1, a hot or paced key, a share of
        // about one call): holding the next one ahead of need would only reserve another unit of a busy key
        this.lowWater = grant.calls() <= 1 ? -1 : Math.max(0, Math.min(grant.calls(), lowWater));
        this.refillAt = usableUntil - Math.max(0, leadNanos);
        this.left = grant.calls();
        this.tokensLeft = grant.tokens();
    }

    /** The safety margin of a block of {@code lifeNanos}: see the class comment. */
    static long margin(long lifeNanos) {
        return Math.min(MARGIN_NANOS, lifeNanos / 10) + lifeNanos / 20;
    }

    /**
     * Takes one call of {@code tokens} if the block is usable at {@code now} and has room.
     *
     * @return whether the call was taken
     */
    boolean draw(long tokens, long now) {
        if (now - usableUntil >= 0) {
            return false;
        }
        long t;
        do {
            t = (long) TOKENS_LEFT.getVolatile(this);
            if (t < tokens) {
                return false;
            }
        } while (!TOKENS_LEFT.compareAndSet(this, t, t - tokens));
        int l;
        do {
            l = (int) LEFT.getVolatile(this);
            if (l <= 0) {
                TOKENS_LEFT.getAndAdd(this, tokens); // no call: the tokens go back (after an end: counted, which is safe)
                return false;
            }
        } while (!LEFT.compareAndSet(this, l, l - 1));
        return true;
    }

    /** Whether the next block should be asked for now (the calls or the time left last only the lead). */
    boolean wantsRefill(long now) {
        return (int) LEFT.getOpaque(this) <= lowWater || now - refillAt >= 0;
    }

    /** Whether no call can draw on it at {@code now}: ended, used up or past its use. */
    boolean spent(long now) {
        return (int) LEFT.getVolatile(this) <= 0 || now - usableUntil >= 0;
    }

    int left() {
        return Math.max(0, (int) LEFT.getVolatile(this));
    }

    /**
     * Ends the block: no call draws on it afterwards.
     *
     * @return the calls drawn from it, or -1 if it had ended already
     */
    int end() {
        int l = (int) LEFT.getAndSet(this, ENDED);
        return l == ENDED ? -1 : grant.calls() - Math.max(0, l);
    }

    /** Tokens the block settles with: those drawn (read after {@link #end}), corrected by the calls' reports. */
    long tokensUsed() {
        long drawn = grant.tokens() - (long) TOKENS_LEFT.getVolatile(this);
        return Math.max(0, drawn + tokenCorrection.get());
    }

    /** The block's outcome once it ended with {@code callsUsed} calls (docs/clients.md, "Blocks (Java SDK)"). */
    Outcome outcome(int callsUsed) {
        if (retryAfterMs >= 0) {
            return Outcome.RATE_LIMITED;
        }
        if (authFailed) {
            return Outcome.AUTH_FAILED;
        }
        return callsUsed > 0 && failures.get() * 2 > callsUsed ? Outcome.ERROR : Outcome.OK;
    }

    long retryAfterMs() {
        return Math.max(0, retryAfterMs);
    }

    // ---- Block

    @Override
    public String pool() {
        return grant.pool();
    }

    @Override
    public String keyId() {
        return grant.keyId();
    }

    @Override
    public String leaseId() {
        return grant.leaseId();
    }

    @Override
    public String hubId() {
        return grant.hubId();
    }

    @Override
    public String apiKey() {
        return grant.apiKey();
    }

    @Override
    public void rateLimited(Duration retryAfter) {
        if (retryAfter == null || retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must be zero or positive, was " + retryAfter);
        }
        retryAfterMs = retryAfter.toMillis();
        owner.ended(this);
    }

    @Override
    public void callCompleted() {
        // every call is drawn before it completes, so as many completions as calls means every call was drawn
        if ((int) COMPLETED.getAndAdd(this, 1) + 1 == grant.calls()) {
            owner.completed(this);
        }
    }

    @Override
    public void failed() {
        failures.incrementAndGet();
    }

    @Override
    public void authFailed() {
        authFailed = true;
        owner.ended(this);
    }

    @Override
    public void tokensUsed(long estimate, long actual) {
        if (estimate < 0 || actual < 0) {
            throw new IllegalArgumentException("estimate and actual must be >= 0, were " + estimate + " and " + actual);
        }
        tokenCorrection.addAndGet(actual - estimate);
    }

    @Override
    public String toString() {
        return "Block[" + grant + ", left=" + left() + "]";
    }
}
