package io.quotahub.agent.internal;

import java.util.concurrent.TimeUnit;

/**
 * Every wait before a retry in the SDK, each spread by the client's {@link Jitter} so that clients
 * told "not now" at the same instant do not come back at the same instant: between rounds of failed
 * routes, after a retryable hub error, after a refusal, and between connection attempts to a server
 * that was down at start. Every wait is capped by what is left of the caller's deadline.
 */
final class RetryPolicy {

    /** Between two rounds of routes that all failed. */
    static final long ROUND_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** Between the first rounds of an acquire (the minimum sends are not made yet). */
    static final long MIN_ROUND_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** After a retryable error answer of a hub (UNAVAILABLE, FENCED, DEADLINE_EXCEEDED). */
    static final long ERROR_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The shortest wait after a refusal, whatever its retry-after says. */
    static final long MIN_REFUSAL_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /**
     * The longest wait after every hub refused for want of budget. Such a refusal's retry-after is
     * when the window frees, but budgets move sooner: the hubs rebalance every second, and a hub
     * takes its dead peer's budget over within seconds.
     */
    static final long BUDGET_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final Jitter jitter;

    RetryPolicy(Jitter jitter) {
        this.jitter = jitter;
    }

    /**
     * After a round in which every route failed.
     *
     * @param early     fewer sends than the minimum were made: retry soon, whatever the deadline
     * @param remaining nanoseconds left before the caller's deadline
     */
    long afterRound(boolean early, long remaining) {
        return early ? jitter.atLeast(MIN_ROUND_BACKOFF_NANOS) : capped(jitter.atLeast(ROUND_BACKOFF_NANOS), remaining);
    }

    /** After a retryable error answer of a hub. */
    long afterError(long remaining) {
        return capped(jitter.atLeast(ERROR_BACKOFF_NANOS), remaining);
    }

    /**
     * After a refusal: never earlier than the hub said room may come back, from [retry-after, 1.5 x
     * retry-after); after {@code OVERLOADED} (a backlog estimate, not a limit's reset) from [0.5, 1.5)
     * x retry-after.
     */
    long afterRefusal(long retryAfterMs, boolean overloaded, long remaining) {
        long retryAfter = Math.max(TimeUnit.MILLISECONDS.toNanos(Math.max(0, retryAfterMs)), MIN_REFUSAL_WAIT_NANOS);
        long wait = overloaded ? jitter.around(retryAfter) : jitter.atLeast(retryAfter);
        return Math.min(wait, remaining);
    }

    /** After every hub asked refused BUDGET_EXHAUSTED: as a refusal, but at most {@link #BUDGET_RECHECK_NANOS}. */
    long afterBudgetRefusal(long retryAfterMs, long remaining) {
        long retryAfter = Math.max(TimeUnit.MILLISECONDS.toNanos(Math.max(0, retryAfterMs)), MIN_REFUSAL_WAIT_NANOS);
        return Math.min(jitter.atLeast(Math.min(retryAfter, BUDGET_RECHECK_NANOS)), remaining);
    }

    /** Between attempts to connect to a server that was down when the client started. */
    long reconnect() {
        return jitter.atLeast(ClientConfig.RECONNECT_WAIT.toNanos());
    }

    private static long capped(long wait, long remaining) {
        return Math.max(0, Math.min(wait, remaining));
    }

    /**
     * Before retry {@code attempt + 1} of a provider call ({@code QuotaClient.call}): 1 s, 2 s, 4 s,
     * then 8 s, each from [backoff, 1.5 x backoff).
     */
    long beforeCallRetry(int attempt) {
        int doublings = Math.min(Math.max(0, attempt), ProviderCalls.MAX_BACKOFF_DOUBLINGS);
        return jitter.atLeast(ProviderCalls.FIRST_BACKOFF_NANOS << doublings);
    }
}
