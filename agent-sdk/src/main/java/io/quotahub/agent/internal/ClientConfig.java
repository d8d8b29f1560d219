package io.quotahub.agent.internal;

import io.nats.client.Connection;
import io.quotahub.agent.Priority;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Validated settings of a client (built by {@code QuotaClient.Builder}). Not part of the API.
 *
 * @param servers           NATS URLs, local first
 * @param connection        an existing connection to use (not closed by the client), or null
 * @param agentId           agent id
 * @param defaultPriority   priority of the calls without one
 * @param requestTimeout    timeout of one attempt on one route
 * @param heartbeatInterval heartbeat period
 * @param settleTimeout     how long a settle is retried
 * @param connectionName    NATS connection name
 * @param clock             wall clock for the absolute deadlines and timestamps on the wire
 * @param metrics           metrics hook
 * @param jitter            spread of the waits before retries
 * @param security          NATS credentials, TLS and inbox prefix of the client's own connections
 * @param ticker            monotonic time of every wait, deadline and timer of the client
 * @param callbackExecutor  where the asynchronous API's futures complete (the caller's), or null for
 *                          the client's own pool
 * @param calls             how {@code QuotaClient.call} reads results and waits between its retries
 */
public record ClientConfig(List<String> servers, Connection connection, String agentId, Priority defaultPriority,
        Duration requestTimeout, Duration heartbeatInterval, Duration settleTimeout, String connectionName,
        Clock clock, ClientMetrics metrics, Jitter jitter, ConnectSecurity security, Ticker ticker,
        Executor callbackExecutor, CallConfig calls) {

    /** Reconnect wait: short, failover to the second server must be fast. */
    public static final Duration RECONNECT_WAIT = Duration.ofMillis(250);
    /** Connect timeout per server. */
    public static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(2);
    /** Client ping interval: a dead server is noticed after ~2-3 s (maxPingsOut 2). */
    public static final Duration PING_INTERVAL = Duration.ofSeconds(1);

    /**
     * Settings with the system clock, no metrics and random jitter.
     *
     * @param servers           NATS URLs, local first
     * @param connection        an existing connection, or null
     * @param agentId           agent id
     * @param defaultPriority   default priority
     * @param requestTimeout    per-attempt timeout
     * @param heartbeatInterval heartbeat period
     * @param settleTimeout     settle retry budget
     * @param connectionName    NATS connection name
     */
    public ClientConfig(List<String> servers, Connection connection, String agentId, Priority defaultPriority,
            Duration requestTimeout, Duration heartbeatInterval, Duration settleTimeout, String connectionName) {
        this(servers, connection, agentId, defaultPriority, requestTimeout, heartbeatInterval, settleTimeout,
                connectionName, Clock.systemUTC(), ClientMetrics.NOOP, Jitter.ofDefaults(), ConnectSecurity.NONE,
                Ticker.SYSTEM, null, CallConfig.DEFAULTS);
    }

    /**
     * The same settings with another metrics hook.
     *
     * @param hook the hook
     * @return a copy
     */
    public ClientConfig withMetrics(ClientMetrics hook) {
        return new ClientConfig(servers, connection, agentId, defaultPriority, requestTimeout, heartbeatInterval,
                settleTimeout, connectionName, clock, hook, jitter, security, ticker, callbackExecutor, calls);
    }

    /**
     * The same settings with another jitter (tests draw it from a known sequence).
     *
     * @param spread the jitter
     * @return a copy
     */
    public ClientConfig withJitter(Jitter spread) {
        return new ClientConfig(servers, connection, agentId, defaultPriority, requestTimeout, heartbeatInterval,
                settleTimeout, connectionName, clock, metrics, spread, security, ticker, callbackExecutor, calls);
    }

    /**
     * The same settings with other NATS credentials / TLS / inbox prefix.
     *
     * @param connectSecurity the settings
     * @return a copy
     */
    public ClientConfig withSecurity(ConnectSecurity connectSecurity) {
        return new ClientConfig(servers, connection, agentId, defaultPriority, requestTimeout, heartbeatInterval,
                settleTimeout, connectionName, clock, metrics, jitter, connectSecurity, ticker, callbackExecutor, calls);
    }

    /**
     * The same settings with another monotonic time source (tests drive a fake one).
     *
     * @param time the ticker
     * @return a copy
     */
    public ClientConfig withTicker(Ticker time) {
        return new ClientConfig(servers, connection, agentId, defaultPriority, requestTimeout, heartbeatInterval,
                settleTimeout, connectionName, clock, metrics, jitter, security, java.util.Objects.requireNonNull(time, "ticker"),
                callbackExecutor, calls);
    }

    /**
     * The same settings with the caller's executor for completing the asynchronous API's futures.
     *
     * @param executor the executor (the caller owns it), or null for the client's own pool
     * @return a copy
     */
    public ClientConfig withCallbackExecutor(Executor executor) {
        return new ClientConfig(servers, connection, agentId, defaultPriority, requestTimeout, heartbeatInterval,
                settleTimeout, connectionName, clock, metrics, jitter, security, ticker, executor, calls);
    }

    /**
     * The same settings with other provider adapters / retry pauses.
     *
     * @param callConfig the settings of {@code QuotaClient.call}
     * @return a copy
     */
    public ClientConfig withCalls(CallConfig callConfig) {
        return new ClientConfig(servers, connection, agentId, defaultPriority, requestTimeout, heartbeatInterval,
                settleTimeout, connectionName, clock, metrics, jitter, security, ticker, callbackExecutor,
                java.util.Objects.requireNonNull(callConfig, "calls"));
    }

    /**
     * The same settings with another wall clock (tests fix it).
     *
     * @param wallClock the clock
     * @return a copy
     */
    public ClientConfig withClock(Clock wallClock) {
        return new ClientConfig(servers, connection, agentId, defaultPriority, requestTimeout, heartbeatInterval,
                settleTimeout, connectionName, java.util.Objects.requireNonNull(wallClock, "clock"), metrics, jitter,
                security, ticker, callbackExecutor, calls);
    }
}
