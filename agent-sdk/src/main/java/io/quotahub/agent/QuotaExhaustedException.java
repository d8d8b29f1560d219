package io.quotahub.agent;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The hub refused a lease and the caller's {@code maxWait} ran out before room was made. Carries
 * the hub's refusal: its {@link #code()} (e.g. {@code QUOTA_EXHAUSTED}, {@code CIRCUIT_OPEN}, or
 * {@code OVERLOADED} when the hub shed the request because it had more work queued than it could
 * do in time), which limit of which key or pool, and when a retry may succeed.
 */
public final class QuotaExhaustedException extends QuotaHubException {

    private static final long serialVersionUID = 1L;

    /** Suggested wait before asking again. */
    private final Duration retryAfter;
    /** The hub's reason. */
    private final String reason;
    /** The pool that refused. */
    private final String pool;
    /** The key whose limit refused. */
    private final String keyId;
    /** The limit that refused. */
    private final String limit;
    /** Every pool tried (fallback pools), in order. */
    private final List<PoolRefusal> tried;

    /**
     * One pool's refusal, when a pool and its fallback pools were tried.
     *
     * @param pool       the pool
     * @param code       its refusal code, e.g. {@code QUOTA_EXHAUSTED}
     * @param reason     the hub's reason
     * @param retryAfter when that pool may have room
     * @param keyId      the key whose limit refused, empty for the pool as a whole
     * @param limit      the limit that refused, may be empty
     */
    public record PoolRefusal(String pool, String code, String reason, Duration retryAfter, String keyId, String limit) {
    }

    /**
     * Creates the exception from the hub's refusal.
     *
     * @param code       stable refusal code, e.g. {@code QUOTA_EXHAUSTED}
     * @param reason     human-readable reason given by the hub
     * @param retryAfter when a retry may succeed ({@link Duration#ZERO} if unknown)
     * @param pool       the pool asked for
     * @param keyId      the key whose limit refused, empty if the pool as a whole refused
     * @param limit      the limit that refused, e.g. {@code "requests 60/PT1M"}, may be empty
     * @throws NullPointerException if {@code code} or {@code retryAfter} is null
     */
    public QuotaExhaustedException(String code, String reason, Duration retryAfter, String pool, String keyId,
            String limit) {
        this(code, reason, retryAfter, pool, keyId, limit, List.of());
    }

    /**
     * Creates the exception from the hub's refusal after a pool and its fallback pools were tried.
     *
     * @param code       stable refusal code of the pool that frees up first
     * @param reason     its reason
     * @param retryAfter when a retry may succeed ({@link Duration#ZERO} if unknown)
     * @param pool       the pool of that refusal
     * @param keyId      the key whose limit refused, may be empty
     * @param limit      the limit that refused, may be empty
     * @param tried      every pool tried, in order (the pool asked for first); empty for one pool
     * @throws NullPointerException if {@code code}, {@code retryAfter} or {@code tried} is null
     */
    public QuotaExhaustedException(String code, String reason, Duration retryAfter, String pool, String keyId,
            String limit, List<PoolRefusal> tried) {
        super(code, message(code, reason, retryAfter, pool, keyId, limit) + triedText(tried));
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
        this.reason = nullToEmpty(reason);
        this.pool = nullToEmpty(pool);
        this.keyId = nullToEmpty(keyId);
        this.limit = nullToEmpty(limit);
        this.tried = List.copyOf(Objects.requireNonNull(tried, "tried"));
    }

    private static String triedText(List<PoolRefusal> tried) {
        if (tried == null || tried.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("; pools tried:");
        for (PoolRefusal r : tried) {
            sb.append(' ').append(r.pool()).append(" (").append(r.code()).append(')');
        }
        return sb.toString();
    }

    /**
     * Every pool tried when the pool asked for has fallback pools, in the order tried (the pool
     * asked for first), each with its own refusal. {@link #code()}, {@link #pool()} and
     * {@link #retryAfter()} are those of the pool that frees up first.
     *
     * @return the pools tried; empty when only the pool asked for was tried
     */
    public List<PoolRefusal> tried() {
        return tried;
    }

    private static String message(String code, String reason, Duration retryAfter, String pool, String keyId,
            String limit) {
        StringBuilder sb = new StringBuilder("pool '").append(pool).append("' refused (").append(code).append(')');
        if (reason != null && !reason.isEmpty()) {
            sb.append(": ").append(reason);
        }
        if (keyId != null && !keyId.isEmpty()) {
            sb.append(" [key ").append(keyId).append(']');
        }
        if (limit != null && !limit.isEmpty()) {
            sb.append(" [limit ").append(limit).append(']');
        }
        if (retryAfter != null) {
            sb.append("; retry after ").append(retryAfter.toMillis()).append(" ms");
        }
        return sb.toString();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    /**
     * How long the hub suggested to wait before asking again.
     *
     * @return the suggested wait, {@link Duration#ZERO} if the hub gave none
     */
    public Duration retryAfter() {
        return retryAfter;
    }

    /**
     * The hub's human-readable reason (which limit of which key or pool).
     *
     * @return the reason, empty if none
     */
    public String reason() {
        return reason;
    }

    /**
     * The pool that refused.
     *
     * @return the pool name
     */
    public String pool() {
        return pool;
    }

    /**
     * The key whose limit refused.
     *
     * @return the key id (never its secret), empty if the refusal concerned the whole pool
     */
    public String keyId() {
        return keyId;
    }

    /**
     * The limit that refused, e.g. {@code "requests 60/PT1M"}.
     *
     * @return the limit, empty if the hub did not name one
     */
    public String limit() {
        return limit;
    }
}
