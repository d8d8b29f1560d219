// Over 400 lines on purpose: this file is the SDK's public API, the interface and its Builder.
// QuotaClient.Builder is a public name (moving it to a file of its own would change the API), and
// 455 of its lines are the Javadoc that every public member of the SDK carries; the
// code is 230 lines. Everything behind the API lives in io.quotahub.agent.internal.
package io.quotahub.agent;

import io.nats.client.Connection;
import io.quotahub.agent.internal.CallConfig;
import io.quotahub.agent.internal.ClientConfig;
import io.quotahub.agent.internal.ConnectSecurity;
import io.quotahub.agent.internal.DefaultQuotaClient;
import io.quotahub.agent.internal.PushgatewayMetrics;
import io.quotahub.agent.internal.Utf8;
import io.quotahub.agent.provider.ProviderAdapter;
import io.quotahub.agent.provider.Providers;
import io.quotahub.agent.provider.ResultReader;

import javax.net.ssl.SSLContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The agent's handle on QuotaHub: asks the hubs for {@link Lease leases} over NATS, fails over
 * between hubs, and heartbeats the leases it holds. Thread-safe; make one per process.
 *
 * <pre>{@code
 * try (QuotaClient client = QuotaClient.builder()
 *         .servers("nats://127.0.0.1:4222")   // local first, others as fallback
 *         .agentId("summarizer-1")
 *         .build()) {
 *     try (Lease lease = client.acquire("demo", 1200, Duration.ofSeconds(5))) {
 *         callProvider(lease.apiKey());
 *         lease.complete(1432);
 *     }
 * }
 * }</pre>
 *
 * <p>Routing: a request goes to the hubs' queue group (NATS prefers the hub beside the agent's
 * server). If it times out (a hung hub keeps its subscription on nats-server 2.9.10) or has no
 * responders, the same request (same request id: hubs never grant a duplicate twice) is retried on
 * the direct subject of each other hub the client has heard announce itself. A hub that timed out
 * stays suspect (skipped) for a few seconds or until it announces itself again.
 *
 * <p>Heartbeats list the leases the client holds, each with the secret its grant carried (hubs
 * count a lease as held only with that proof). A hub may attach a notice to its reply, e.g. that
 * priority {@code HIGH} is reserved for some agents and the request was taken as {@code NORMAL}:
 * the client logs each notice once per pool at {@code WARNING} ({@link System.Logger} named
 * {@code io.quotahub.agent}).
 */
public interface QuotaClient extends AutoCloseable {

    /**
     * A new builder with the defaults described on its methods.
     *
     * @return a builder
     */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Calls of {@code pool} served in-process from blocks (docs/clients.md, "Blocks (Java SDK)"): one hub
     * grant for many calls, handed out without a round trip, for pools whose hubs grant blocks
     * ({@code blocks: {max-calls, expiry}}). One instance per pool and client; closed with the client.
     *
     * @param pool pool to draw from
     * @return the pool's blocks
     * @throws IllegalArgumentException if {@code pool} is null, blank or too long
     * @throws IllegalStateException    if the client is closed
     * @throws UnsupportedOperationException if this client does not hold blocks
     */
    default CallBlocks blocks(String pool) {
        throw new UnsupportedOperationException("this QuotaClient does not hold blocks");
    }

    /**
     * Asks for a lease at the {@linkplain Builder#defaultPriority(Priority) default priority},
     * waiting up to {@code maxWait} for room. See {@link #acquire(String, long, Duration, Priority)}.
     *
     * @param pool    pool to draw from, e.g. {@code "gemini-pro"}
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long to wait for room, {@link Duration#ZERO} for a single attempt
     * @return the lease; close it (or report an outcome) when the call is done
     * @throws IllegalArgumentException if {@code pool} is null, blank or longer than the hubs accept
     *                                  ({@link Builder#MAX_AGENT_ID_BYTES} bytes of UTF-8, as an agent
     *                                  id), {@code tokens} is not positive or {@code maxWait} is null or
     *                                  negative
     * @throws IllegalStateException    if the client is closed
     * @throws QuotaExhaustedException  if the hub still refused when {@code maxWait} ran out
     * @throws HubUnavailableException  if no hub answered within {@code maxWait} (and at least two
     *                                  attempts were made)
     * @throws QuotaHubException        if a hub rejected the request (e.g. {@code UNKNOWN_POOL},
     *                                  {@code BAD_REQUEST}) or the thread was interrupted
     *                                  ({@code INTERRUPTED})
     */
    Lease acquire(String pool, long tokens, Duration maxWait);

    /**
     * Asks for a lease, waiting up to {@code maxWait} for room: when the hub refuses, waits, then
     * asks again with a new request id. The wait is drawn at random between the hub's retry-after
     * and 1.5 times it (never earlier: room cannot come back before it; spread so that many agents
     * refused at the same instant do not all come back at the same instant), and is cut to the time
     * left, when one last attempt is made. Hub errors {@code UNAVAILABLE}, {@code FENCED} and
     * {@code DEADLINE_EXCEEDED} are retried within {@code maxWait} (after a short spread backoff);
     * other hub errors are thrown at once.
     *
     * @param pool     pool to draw from
     * @param tokens   estimated tokens of the call, {@code > 0}
     * @param maxWait  how long to wait for room, {@link Duration#ZERO} for a single attempt
     * @param priority priority of the request
     * @return the lease
     * @throws IllegalArgumentException if an argument is null or invalid (see
     *                                  {@link #acquire(String, long, Duration)})
     * @throws IllegalStateException    if the client is closed
     * @throws QuotaExhaustedException  if the hub still refused when {@code maxWait} ran out
     * @throws HubUnavailableException  if no hub answered within {@code maxWait}
     * @throws QuotaHubException        if a hub rejected the request or the thread was interrupted
     */
    Lease acquire(String pool, long tokens, Duration maxWait, Priority priority);

    /**
     * Asks for a lease as {@link #acquire(String, long, Duration, Priority)} does, with
     * {@code options}: its priority (the client's default when the options name none) and whether a
     * fallback pool may serve it. A pool with fallback pools configured on the hubs is served by the
     * first of them with room when it has none within {@code maxWait}; the lease's
     * {@link Lease#pool()} and {@link Lease#keyId()} say where it came from. With
     * {@link AcquireOptions#withoutFallback()} only {@code pool} itself may serve it.
     *
     * @param pool    pool to draw from
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long to wait for room, {@link Duration#ZERO} for a single attempt
     * @param options priority and fallback
     * @return the lease
     * @throws IllegalArgumentException if an argument is null or invalid (see
     *                                  {@link #acquire(String, long, Duration)})
     * @throws IllegalStateException    if the client is closed
     * @throws QuotaExhaustedException  if the hub still refused when {@code maxWait} ran out (with
     *                                  fallback pools, {@link QuotaExhaustedException#tried()} lists
     *                                  every pool tried)
     * @throws HubUnavailableException  if no hub answered within {@code maxWait}
     * @throws QuotaHubException        if a hub rejected the request or the thread was interrupted
     */
    Lease acquire(String pool, long tokens, Duration maxWait, AcquireOptions options);

    /**
     * One attempt at the default priority: returns at once when the hub refuses. Still fails over
     * between hubs when one does not answer. Use {@code acquire(pool, tokens, Duration.ZERO)} to
     * learn why a refusal happened.
     *
     * @param pool   pool to draw from
     * @param tokens estimated tokens of the call, {@code > 0}
     * @return the lease, or empty if the hub refused
     * @throws IllegalArgumentException if {@code pool} is null or blank or {@code tokens} not positive
     * @throws IllegalStateException    if the client is closed
     * @throws HubUnavailableException  if no hub answered
     * @throws QuotaHubException        if a hub rejected the request or the thread was interrupted
     */
    Optional<Lease> tryAcquire(String pool, long tokens);

    /**
     * One attempt: returns at once when the hub refuses.
     *
     * @param pool     pool to draw from
     * @param tokens   estimated tokens of the call, {@code > 0}
     * @param priority priority of the request
     * @return the lease, or empty if the hub refused
     * @throws IllegalArgumentException if an argument is null or invalid
     * @throws IllegalStateException    if the client is closed
     * @throws HubUnavailableException  if no hub answered
     * @throws QuotaHubException        if a hub rejected the request or the thread was interrupted
     */
    Optional<Lease> tryAcquire(String pool, long tokens, Priority priority);

    /**
     * Non-blocking {@link #acquire(String, long, Duration)}: no thread waits while the request is
     * pending. The future fails with the exceptions {@code acquire} throws (except the
     * {@code IllegalArgumentException}, thrown directly). Cancelling the future abandons the
     * request; a lease granted afterwards is released at once.
     *
     * @param pool    pool to draw from
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long to wait for room
     * @return a future of the lease; callbacks run on the client's callback pool (or the
     *         {@link Builder#callbackExecutor executor} given), never on a NATS thread
     * @throws IllegalArgumentException if an argument is null or invalid
     * @throws IllegalStateException    if the client is closed
     */
    CompletableFuture<Lease> acquireAsync(String pool, long tokens, Duration maxWait);

    /**
     * Non-blocking {@link #acquire(String, long, Duration, Priority)}.
     *
     * @param pool     pool to draw from
     * @param tokens   estimated tokens of the call, {@code > 0}
     * @param maxWait  how long to wait for room
     * @param priority priority of the request
     * @return a future of the lease
     * @throws IllegalArgumentException if an argument is null or invalid
     * @throws IllegalStateException    if the client is closed
     */
    CompletableFuture<Lease> acquireAsync(String pool, long tokens, Duration maxWait, Priority priority);

    /**
     * Non-blocking {@link #acquire(String, long, Duration, AcquireOptions)}.
     *
     * @param pool    pool to draw from
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long to wait for room
     * @param options priority and fallback
     * @return a future of the lease
     * @throws IllegalArgumentException if an argument is null or invalid
     * @throws IllegalStateException    if the client is closed
     */
    CompletableFuture<Lease> acquireAsync(String pool, long tokens, Duration maxWait, AcquireOptions options);

    /**
     * Makes one provider call under a lease and settles it with what the provider answered: acquires
     * (as {@link #acquire(String, long, Duration)}), runs {@code body} with the lease, reads its
     * result with the pool's adapter ({@link Builder#provider(String, ProviderAdapter)}, else the
     * {@linkplain Builder#defaultProvider(ProviderAdapter) default one}; they read
     * {@code java.net.http.HttpResponse}s) and settles: {@code complete} with the provider's token
     * count (the estimate when it gave none), {@code rateLimited} with its retry-after,
     * {@code authFailed}, or {@code failed}, each with the provider's report of the key's limits and
     * the call's measured duration. A body that throws settles {@code failed} with the exception's
     * class name (never its message, which may echo the key) and the exception is rethrown; an
     * {@code InterruptedException} settles {@code UNKNOWN}. A result the adapter cannot read settles
     * {@code UNKNOWN} (and is logged once per pool and type): pass a {@link ResultReader} then. A
     * settle that fails is logged, not thrown: the provider's answer is returned all the same.
     * Turn the provider SDK's own retries off (OpenAI's retry twice by default: {@code maxRetries(0)}):
     * they would reuse the key after a 429 the hub never hears of.
     *
     * @param pool    pool to draw from
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long to wait for a lease
     * @param body    the provider call, e.g. {@code lease -> http.send(request(lease.apiKey()), ofString())}
     * @param <T>     what the call returns
     * @param <E>     the checked exception it may throw
     * @return what the body returned (also a 429 or 5xx answer)
     * @throws E                        what the body threw
     * @throws IllegalArgumentException if an argument is invalid (see {@link #acquire(String, long, Duration)})
     * @throws IllegalStateException    if the client is closed
     * @throws QuotaExhaustedException  if no lease was granted within {@code maxWait}
     * @throws HubUnavailableException  if no hub answered the acquire
     * @throws QuotaHubException        if a hub rejected the acquire or the thread was interrupted
     */
    default <T, E extends Exception> T call(String pool, long tokens, Duration maxWait, ProviderCall<T, E> body)
            throws E {
        return call(pool, tokens, maxWait, null, RetryOptions.none(), body);
    }

    /**
     * {@link #call(String, long, Duration, ProviderCall)} with retries of transient failures, each on
     * a fresh lease, within the options' deadline (see {@link RetryOptions}). A retry's acquire waits
     * at most {@code maxWait} and what is left of the deadline; if it gets no lease, the last answer
     * is returned (or its exception rethrown).
     *
     * @param pool    pool to draw from
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long each attempt waits for a lease
     * @param retries the retries, {@link RetryOptions#none()} for one attempt
     * @param body    the provider call
     * @param <T>     what the call returns
     * @param <E>     the checked exception it may throw
     * @return what the body returned on the last attempt
     * @throws E                        what the body threw on the last attempt
     * @throws IllegalArgumentException if an argument is invalid
     * @throws IllegalStateException    if the client is closed
     * @throws QuotaExhaustedException  if the first attempt got no lease within {@code maxWait}
     * @throws HubUnavailableException  if no hub answered the first acquire
     * @throws QuotaHubException        if a hub rejected the first acquire or the thread was interrupted
     */
    default <T, E extends Exception> T call(String pool, long tokens, Duration maxWait, RetryOptions retries,
            ProviderCall<T, E> body) throws E {
        return call(pool, tokens, maxWait, null, retries, body);
    }

    /**
     * {@link #call(String, long, Duration, RetryOptions, ProviderCall)} reading the result with
     * {@code reader} instead of the pool's adapter: for results other than
     * {@code java.net.http.HttpResponse}, e.g.
     * {@code Providers.openai().reading(r -> r.code(), r -> r.headers().toMultimap(), r -> text(r))}
     * for OkHttp, or a lambda reading a provider SDK's response object.
     *
     * @param pool    pool to draw from
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long each attempt waits for a lease
     * @param reader  how to read the body's result, or null for the pool's adapter
     * @param retries the retries, {@link RetryOptions#none()} for one attempt
     * @param body    the provider call
     * @param <T>     what the call returns
     * @param <E>     the checked exception it may throw
     * @return what the body returned on the last attempt
     * @throws E                        what the body threw on the last attempt
     * @throws IllegalArgumentException if an argument is invalid
     * @throws NullPointerException     if {@code retries} or {@code body} is null
     * @throws IllegalStateException    if the client is closed
     * @throws QuotaExhaustedException  if the first attempt got no lease within {@code maxWait}
     * @throws HubUnavailableException  if no hub answered the first acquire
     * @throws QuotaHubException        if a hub rejected the first acquire or the thread was interrupted
     */
    <T, E extends Exception> T call(String pool, long tokens, Duration maxWait, ResultReader<? super T> reader,
            RetryOptions retries, ProviderCall<T, E> body) throws E;

    /**
     * {@link #call(String, long, Duration, ProviderCall)} without blocking a thread: acquires with
     * {@link #acquireAsync(String, long, Duration)}, starts {@code body} when the lease is granted and
     * settles when its future completes, e.g.
     * {@code client.callAsync("gpt-4o", 900, maxWait, lease -> http.sendAsync(request(lease.apiKey()), ofString()))}.
     *
     * @param pool    pool to draw from
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long to wait for a lease
     * @param body    the provider call
     * @param <T>     what the call's future completes with
     * @return the body's answer once the lease is settled; completed exceptionally with what the
     *         body failed with, or with the acquire's exception ({@link QuotaExhaustedException},
     *         {@link HubUnavailableException}, {@link QuotaHubException})
     * @throws IllegalArgumentException if an argument is invalid (see {@link #acquire(String, long, Duration)})
     * @throws IllegalStateException    if the client is closed
     */
    default <T> CompletableFuture<T> callAsync(String pool, long tokens, Duration maxWait, AsyncProviderCall<T> body) {
        return callAsync(pool, tokens, maxWait, null, RetryOptions.none(), body);
    }

    /**
     * {@link #call(String, long, Duration, ResultReader, RetryOptions, ProviderCall)} without
     * blocking a thread: the waits between retries pass on a timer.
     *
     * @param pool    pool to draw from
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long each attempt waits for a lease
     * @param reader  how to read the body's result, or null for the pool's adapter
     * @param retries the retries, {@link RetryOptions#none()} for one attempt
     * @param body    the provider call
     * @param <T>     what the call's future completes with
     * @return the last attempt's answer, or its failure (the first acquire's exception if no lease
     *         was granted at all)
     * @throws IllegalArgumentException if an argument is invalid
     * @throws NullPointerException     if {@code retries} or {@code body} is null
     * @throws IllegalStateException    if the client is closed
     */
    <T> CompletableFuture<T> callAsync(String pool, long tokens, Duration maxWait, ResultReader<? super T> reader,
            RetryOptions retries, AsyncProviderCall<T> body);

    /**
     * Bulk work: one provider call per item, at most {@link Bulk#maxInFlight(int)} leases in flight,
     * paced by the hub (an item starts when its lease is granted; no fixed sleeps), each call settled
     * with what the provider answered, results in input order, progress, cancellation and a failure
     * policy. E.g.
     * {@code client.bulk("summaries", docs).tokens(d -> estimate(d)).maxInFlight(4).run((d, lease) -> summarize(d, lease))}.
     * Items are taken from {@code items} only as they start, so an {@code Iterable} over a large
     * source (a stream: {@code stream::iterator}) is never held in memory at once.
     *
     * @param pool  pool to draw from
     * @param items the items; their iterator is taken now and read as the run goes
     * @param <I>   the items' type
     * @return a bulk run to set up, then {@link Bulk#run(BulkCall) run}
     * @throws IllegalArgumentException if {@code pool} is null or blank
     * @throws NullPointerException     if {@code items} is null
     */
    default <I> Bulk<I> bulk(String pool, Iterable<? extends I> items) {
        return new Bulk<>(this, pool, items);
    }

    /**
     * The agent id sent with every request and heartbeat.
     *
     * @return the agent id
     */
    String agentId();

    /**
     * Settles the leases still open with their estimate (bounded by the settle timeout), fails
     * pending acquires with {@link IllegalStateException}, stops heartbeats and closes the NATS
     * connection if the client created it. Idempotent; never throws.
     */
    @Override
    void close();

    /**
     * Builds a {@link QuotaClient}. Every setter validates its argument and names the field in the
     * exception message.
     */
    final class Builder {

        /** Per-attempt request timeout: two attempts (hung hub, then the other) fit well in 3 s. */
        public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofMillis(750);
        /** Heartbeat period; hubs consider an agent dead after several missed heartbeats. */
        public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(2);
        /** How long a settle is retried (same request id) before it is given up. */
        public static final Duration DEFAULT_SETTLE_TIMEOUT = Duration.ofSeconds(5);
        /** Period of the pushes to the Pushgateway. */
        public static final Duration DEFAULT_PUSH_INTERVAL = Duration.ofSeconds(10);
        /** Longest {@link #agentId(String) agent id}, in UTF-8 bytes: hubs refuse longer fields. */
        public static final int MAX_AGENT_ID_BYTES = io.quotahub.proto.WireBounds.MAX_FIELD_BYTES;

        private final List<String> servers = new ArrayList<>();
        private Connection connection;
        private String agentId;
        private Priority defaultPriority = Priority.NORMAL;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
        private Duration settleTimeout = DEFAULT_SETTLE_TIMEOUT;
        private String connectionName;
        private String pushGateway;
        private Duration pushInterval = DEFAULT_PUSH_INTERVAL;
        private io.nats.client.AuthHandler credentials;
        private NatsFiles.UserPassword userPassword;
        private SSLContext sslContext;
        private String inboxPrefix;
        private Executor callbackExecutor;
        private final Map<String, ProviderAdapter> adapters = new HashMap<>();
        private ProviderAdapter defaultAdapter = Providers.generic();

        private Builder() {
        }

        /**
         * NATS servers, the local one first: the client keeps a connection to each (at least one
         * must answer at start; the others are connected in the background) and sends on the
         * first one that is up, so losing the local server costs no reconnect, and a request in
         * flight on it is retried on the next at once. Replaces earlier calls. Default:
         * {@code nats://127.0.0.1:4222}.
         *
         * @param urls server URLs, e.g. {@code "nats://127.0.0.1:4222", "nats://pc2:4223"}
         * @return this builder
         * @throws IllegalArgumentException if {@code urls} is null, empty or holds a blank URL
         */
        public Builder servers(String... urls) {
            if (urls == null) {
                throw new IllegalArgumentException("servers must not be null");
            }
            return servers(Arrays.asList(urls));
        }

        /**
         * NATS servers, the local one first. Replaces earlier calls.
         *
         * @param urls server URLs
         * @return this builder
         * @throws IllegalArgumentException if {@code urls} is null, empty or holds a blank URL
         */
        public Builder servers(List<String> urls) {
            if (urls == null || urls.isEmpty()) {
                throw new IllegalArgumentException("servers must list at least one NATS URL");
            }
            for (String url : urls) {
                if (url == null || url.isBlank()) {
                    throw new IllegalArgumentException("servers must not hold a null or blank URL");
                }
            }
            servers.clear();
            servers.addAll(urls);
            return this;
        }

        /**
         * Uses an existing connection instead of connecting (embedding, tests). The client
         * never closes it. Exclusive with {@link #servers(String...)}.
         *
         * @param connection an open jnats connection
         * @return this builder
         * @throws IllegalArgumentException if {@code connection} is null
         */
        public Builder connection(Connection connection) {
            if (connection == null) {
                throw new IllegalArgumentException("connection must not be null");
            }
            this.connection = connection;
            return this;
        }

        /**
         * Id of this agent, sent with every request and heartbeat. Default: {@code agent-<pid>}.
         * Hubs refuse ids longer than {@link #MAX_AGENT_ID_BYTES} UTF-8 bytes, so such an id is
         * refused here, before anything is sent.
         *
         * @param agentId a non-blank id of at most {@link #MAX_AGENT_ID_BYTES} UTF-8 bytes, unique in
         *                the fleet
         * @return this builder
         * @throws IllegalArgumentException if {@code agentId} is null or blank, or longer than
         *                                  {@link #MAX_AGENT_ID_BYTES} UTF-8 bytes
         */
        public Builder agentId(String agentId) {
            if (agentId == null || agentId.isBlank()) {
                throw new IllegalArgumentException("agentId must not be null or blank");
            }
            int bytes = Utf8.length(agentId);
            if (bytes > MAX_AGENT_ID_BYTES) {
                throw new IllegalArgumentException("agentId must be at most " + MAX_AGENT_ID_BYTES
                        + " UTF-8 bytes (hubs refuse longer ids), was " + bytes);
            }
            this.agentId = agentId;
            return this;
        }

        /**
         * Priority of the methods without a priority argument. Default {@link Priority#NORMAL}.
         *
         * @param priority the default priority
         * @return this builder
         * @throws IllegalArgumentException if {@code priority} is null
         */
        public Builder defaultPriority(Priority priority) {
            if (priority == null) {
                throw new IllegalArgumentException("defaultPriority must not be null");
            }
            this.defaultPriority = priority;
            return this;
        }

        /**
         * Timeout of one request attempt to one route; after it the request is retried on the
         * other hub. Default {@link #DEFAULT_REQUEST_TIMEOUT} (750 ms).
         *
         * @param timeout a positive duration
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is null, zero or negative
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /**
         * Heartbeat period. Default {@link #DEFAULT_HEARTBEAT_INTERVAL} (2 s).
         *
         * @param interval a positive duration
         * @return this builder
         * @throws IllegalArgumentException if {@code interval} is null, zero or negative
         */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = positive(interval, "heartbeatInterval");
            return this;
        }

        /**
         * How long a settle is retried before {@link Lease#complete(long)} gives up. Default
         * {@link #DEFAULT_SETTLE_TIMEOUT} (5 s).
         *
         * @param timeout a positive duration
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is null, zero or negative
         */
        public Builder settleTimeout(Duration timeout) {
            this.settleTimeout = positive(timeout, "settleTimeout");
            return this;
        }

        /**
         * Name of the NATS connection (shown by the server's monitoring). Default
         * {@code qh-agent-<agentId>}.
         *
         * @param name a non-blank name
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         */
        public Builder connectionName(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("connectionName must not be null or blank");
            }
            this.connectionName = name;
            return this;
        }

        /**
         * Pushes the agent's metrics to a Prometheus Pushgateway (the one on the agent's machine):
         * acquire latency, leases, refusals, provider outcomes and hub failovers, as
         * {@code quotahub_agent_*} series under job {@code quotahub_agent}, grouped by
         * {@code agent=<agentId>}. Pushed every {@link #pushInterval(Duration)} and once on
         * {@link QuotaClient#close()}, with {@code pushAdd} on a daemon thread. A Pushgateway that is
         * down never fails or slows the agent: a warning is logged once per outage. Default: no
         * pushes.
         *
         * @param address {@code host:port} (e.g. {@code "127.0.0.1:9091"}) or an {@code http(s)://} URL
         * @return this builder
         * @throws IllegalArgumentException if {@code address} is null or blank
         */
        public Builder pushGateway(String address) {
            if (address == null || address.isBlank()) {
                throw new IllegalArgumentException("pushGateway must not be null or blank (host:port, e.g. 127.0.0.1:9091)");
            }
            this.pushGateway = address.trim();
            return this;
        }

        /**
         * Period of the metric pushes to the {@link #pushGateway(String) Pushgateway}. Default
         * {@link #DEFAULT_PUSH_INTERVAL} (10 s).
         *
         * @param interval a positive duration
         * @return this builder
         * @throws IllegalArgumentException if {@code interval} is null, zero or negative
         */
        public Builder pushInterval(Duration interval) {
            this.pushInterval = positive(interval, "pushInterval");
            return this;
        }

        /**
         * Authenticates to NATS with a credentials file: a {@code .creds} file (user JWT + nkey
         * seed, as {@code nsc} writes it) or a file holding a user nkey seed ({@code SU…}). Used
         * on the connection to every {@linkplain #servers(String...) server}. The file is read
         * again at each reconnect (rotation needs no restart) and never logged. Exclusive with
         * {@link #userPasswordFile(Path)}.
         *
         * @param file the credentials file
         * @return this builder
         * @throws IllegalArgumentException if {@code file} is null, unreadable, or holds neither a
         *                                  {@code .creds} content nor a user nkey seed
         */
        public Builder credentialsFile(Path file) {
            this.credentials = NatsFiles.credentials(file);
            return this;
        }

        /**
         * Authenticates to NATS with the user and password of a file holding one line
         * {@code user:password} (see {@link NatsFiles#userPassword(Path)}), on the connection to every
         * server. Read once, here; never logged. Exclusive with {@link #credentialsFile(Path)}. The
         * client's replies then come under {@code _QH.agent.<user>} unless {@link #inboxPrefix(String)}
         * says otherwise.
         *
         * @param file the user/password file (keep it mode 0600)
         * @return this builder
         * @throws IllegalArgumentException if {@code file} is null, unreadable or not one line
         *                                  {@code user:password}; the message never holds the password
         */
        public Builder userPasswordFile(Path file) {
            this.userPassword = NatsFiles.userPassword(file);
            return this;
        }

        /**
         * Connects to every server over TLS with this context (trust, and a client certificate for
         * mutual TLS). Replaces an earlier {@link #tls(Path)} / {@link #tls(Path, Path, Path)}.
         *
         * @param context the TLS context
         * @return this builder
         * @throws IllegalArgumentException if {@code context} is null
         */
        public Builder sslContext(SSLContext context) {
            if (context == null) {
                throw new IllegalArgumentException("sslContext must not be null");
            }
            this.sslContext = context;
            return this;
        }

        /**
         * Connects to every server over TLS, trusting only the CA certificates of a PEM file.
         *
         * @param caFile PEM file with the CA certificate(s) that signed the servers' certificates
         * @return this builder
         * @throws IllegalArgumentException if {@code caFile} is null, unreadable or holds no certificate
         */
        public Builder tls(Path caFile) {
            return sslContext(NatsFiles.sslContext(caFile));
        }

        /**
         * Connects to every server over mutual TLS: trusts the CA certificates of {@code caFile} and
         * presents the client certificate of {@code certFile} with its key.
         *
         * @param caFile   PEM file with the CA certificate(s) to trust
         * @param certFile PEM file with this agent's certificate (chain)
         * @param keyFile  PEM file with its unencrypted PKCS#8 private key ({@code BEGIN PRIVATE KEY})
         * @return this builder
         * @throws IllegalArgumentException if a file is null or unreadable, holds no certificate, or the
         *                                  key is not an unencrypted PKCS#8 RSA or EC key
         */
        public Builder tls(Path caFile, Path certFile, Path keyFile) {
            if (caFile == null || certFile == null || keyFile == null) {
                throw new IllegalArgumentException("tls needs caFile, certFile and keyFile (use tls(caFile) without a client certificate)");
            }
            return sslContext(NatsFiles.sslContext(caFile, certFile, keyFile));
        }

        /**
         * Prefix of this client's reply subjects (jnats {@code Options.inboxPrefix}), so that NATS
         * permissions can let each agent identity read only its own replies. Default: with a
         * {@linkplain #userPasswordFile(Path) user/password file}, {@code _QH.agent.<user>}, the
         * inbox the shipped server permissions give that user (and from which the hubs take the
         * agent's identity); otherwise jnats' {@code _INBOX}.
         *
         * @param prefix dot-separated subject tokens of letters, digits, {@code _ $ -}, e.g.
         *               {@code _INBOX_summarizer-1} (see {@link NatsFiles#inboxPrefix(String)})
         * @return this builder
         * @throws IllegalArgumentException if {@code prefix} is null, holds wildcards, spaces or
         *                                  empty tokens, or is longer than
         *                                  {@link NatsFiles#MAX_INBOX_PREFIX_LENGTH}
         */
        public Builder inboxPrefix(String prefix) {
            this.inboxPrefix = NatsFiles.inboxPrefix(prefix);
            return this;
        }

        /**
         * Where the futures of {@code acquireAsync}, {@code tryAcquireAsync} and
         * {@code Lease.completeAsync} (and its kin) complete, i.e. where callbacks attached to them
         * run. By default the client's own pool of a few threads, which suits short callbacks; give
         * an executor of your own when callbacks block (a provider call in {@code thenApply}, for
         * example). The client never shuts it down.
         *
         * @param executor the executor
         * @return this builder
         * @throws NullPointerException if {@code executor} is null
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * The adapter that reads the answers of {@code pool}'s provider in
         * {@link QuotaClient#call(String, long, Duration, ProviderCall)}, e.g.
         * {@code provider("gemini-pro", Providers.gemini())}.
         *
         * @param pool    the pool's name
         * @param adapter its provider's adapter ({@link Providers})
         * @return this builder
         * @throws IllegalArgumentException if {@code pool} is null or blank or {@code adapter} null
         */
        public Builder provider(String pool, ProviderAdapter adapter) {
            if (pool == null || pool.isBlank() || adapter == null) {
                throw new IllegalArgumentException("provider needs a non-blank pool and an adapter, was " + pool
                        + " and " + adapter);
            }
            adapters.put(pool, adapter);
            return this;
        }

        /**
         * The adapter of the pools without one of their own. Default {@link Providers#generic()}
         * (the status and {@code Retry-After} only).
         *
         * @param adapter the adapter
         * @return this builder
         * @throws IllegalArgumentException if {@code adapter} is null
         */
        public Builder defaultProvider(ProviderAdapter adapter) {
            if (adapter == null) {
                throw new IllegalArgumentException("defaultProvider must not be null");
            }
            this.defaultAdapter = adapter;
            return this;
        }

        /**
         * Connects (unless a connection was given) and starts heartbeats.
         *
         * @return the client
         * @throws IllegalArgumentException if both {@code servers} and {@code connection} were set, or
         *                                  a connection was given together with credentials, TLS or an
         *                                  inbox prefix (those belong to that connection's own
         *                                  options), or both a credentials file and a user/password
         *                                  file were set, or the {@link #pushGateway(String)
         *                                  Pushgateway address} is not a valid address
         * @throws HubUnavailableException  if no NATS server of the list could be reached (also when
         *                                  every server refused the credentials or the TLS handshake;
         *                                  the message says why, never with a secret)
         */
        public QuotaClient build() {
            if (connection != null && !servers.isEmpty()) {
                throw new IllegalArgumentException("set either servers or connection, not both");
            }
            ConnectSecurity security = new ConnectSecurity(credentials, userPassword, sslContext, inboxPrefix);
            if (connection != null && security.isSet()) {
                throw new IllegalArgumentException("credentials, TLS and inboxPrefix apply to the client's own connections:"
                        + " set them on the given connection's Options instead");
            }
            String id = agentId != null ? agentId : "agent-" + ProcessHandle.current().pid();
            List<String> urls = servers.isEmpty() ? List.of("nats://127.0.0.1:4222") : List.copyOf(servers);
            String name = connectionName != null ? connectionName : "qh-agent-" + id;
            ClientConfig config = new ClientConfig(urls, connection, id, defaultPriority, requestTimeout,
                    heartbeatInterval, settleTimeout, name).withSecurity(security).withCallbackExecutor(callbackExecutor)
                    .withCalls(new CallConfig(adapters, defaultAdapter, CallConfig.Pause.DELAY));
            if (pushGateway == null) {
                return new DefaultQuotaClient(config);
            }
            PushgatewayMetrics metrics = new PushgatewayMetrics(pushGateway, id, pushInterval);
            DefaultQuotaClient client = new DefaultQuotaClient(config.withMetrics(metrics));
            metrics.start(); // only once the client exists: a failed build leaves no thread behind
            return client;
        }

        private static Duration positive(Duration d, String field) {
            Objects.requireNonNull(field);
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(field + " must be a positive duration, was " + d);
            }
            return d;
        }
    }
}
