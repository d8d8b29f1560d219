package io.quotahub.agent.internal;

import io.quotahub.agent.provider.ProviderAdapter;
import io.quotahub.agent.provider.Providers;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Settings of {@code QuotaClient.call}: which adapter reads the results of each pool's calls, and
 * how the waits between retries pass (tests pass them on a fake ticker).
 *
 * @param adapters       adapter by pool
 * @param defaultAdapter adapter of the other pools
 * @param pause          the wait between two attempts
 */
public record CallConfig(Map<String, ProviderAdapter> adapters, ProviderAdapter defaultAdapter, Pause pause) {

    /** No pool mapped, {@link Providers#generic()} for all, real sleeps. */
    public static final CallConfig DEFAULTS = new CallConfig(Map.of(), Providers.generic(), Pause.DELAY);

    /**
     * Copies and checks.
     *
     * @throws NullPointerException if an argument is null
     */
    public CallConfig {
        adapters = Map.copyOf(adapters);
        Objects.requireNonNull(defaultAdapter, "defaultAdapter");
        Objects.requireNonNull(pause, "pause");
    }

    /**
     * The adapter of {@code pool}.
     *
     * @param pool a pool name
     * @return its adapter, or the default one
     */
    public ProviderAdapter adapterOf(String pool) {
        return adapters.getOrDefault(pool, defaultAdapter);
    }

    /**
     * The same settings with another pause.
     *
     * @param other the pause
     * @return a copy
     */
    public CallConfig withPause(Pause other) {
        return new CallConfig(adapters, defaultAdapter, other);
    }

    /** How the wait between two attempts of a call passes (a blocking call waits on the future). */
    @FunctionalInterface
    public interface Pause {

        /** Real time: {@link CompletableFuture#delayedExecutor}. */
        Pause DELAY = nanos -> CompletableFuture.runAsync(() -> { },
                CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS));

        /**
         * A future that completes {@code nanos} from now.
         *
         * @param nanos the wait
         * @return the future
         */
        CompletableFuture<Void> after(long nanos);
    }
}
