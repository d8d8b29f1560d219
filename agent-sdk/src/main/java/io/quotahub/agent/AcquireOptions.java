package io.quotahub.agent;

import java.util.Objects;

/**
 * How one acquire is asked: its priority and whether a fallback pool may serve it. Immutable;
 * each method returns a new value.
 *
 * <pre>{@code
 * // only gemini-pro itself: never one of its fallback pools
 * Lease lease = client.acquire("gemini-pro", 1200, Duration.ofSeconds(5), AcquireOptions.defaults().withoutFallback());
 * }</pre>
 */
public final class AcquireOptions {

    private static final AcquireOptions DEFAULTS = new AcquireOptions(null, true);

    private final Priority priority;
    private final boolean fallback;

    private AcquireOptions(Priority priority, boolean fallback) {
        this.priority = priority;
        this.fallback = fallback;
    }

    /**
     * The client's default priority, fallback pools allowed.
     *
     * @return the defaults
     */
    public static AcquireOptions defaults() {
        return DEFAULTS;
    }

    /**
     * These options with {@code priority}.
     *
     * @param priority the request's priority
     * @return new options
     * @throws NullPointerException if {@code priority} is null
     */
    public AcquireOptions priority(Priority priority) {
        return new AcquireOptions(Objects.requireNonNull(priority, "priority"), fallback);
    }

    /**
     * These options without fallback: only the pool asked for may serve the acquire, and a refusal
     * is that pool's own. By default a pool with {@code fallback} pools configured is served by the
     * first of them with room when it has none within the acquire's {@code maxWait}.
     *
     * @return new options
     */
    public AcquireOptions withoutFallback() {
        return new AcquireOptions(priority, false);
    }

    /**
     * The priority asked for.
     *
     * @return the priority, or null for the client's default
     */
    public Priority priority() {
        return priority;
    }

    /**
     * Whether a fallback pool may serve the acquire.
     *
     * @return true unless {@link #withoutFallback()} was called
     */
    public boolean fallback() {
        return fallback;
    }

    @Override
    public String toString() {
        return "AcquireOptions[priority=" + (priority == null ? "default" : priority) + ", fallback=" + fallback + "]";
    }
}
