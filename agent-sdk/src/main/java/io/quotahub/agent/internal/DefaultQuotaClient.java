package io.quotahub.agent.internal;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.quotahub.agent.AsyncProviderCall;
import io.quotahub.agent.CallBlocks;
import io.quotahub.agent.HubUnavailableException;
import io.quotahub.agent.AcquireOptions;
import io.quotahub.agent.Lease;
import io.quotahub.agent.Priority;
import io.quotahub.agent.ProviderCall;
import io.quotahub.agent.QuotaClient;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.agent.RetryOptions;
import io.quotahub.agent.provider.ResultReader;
import io.quotahub.proto.Granted;
import io.quotahub.proto.HubAnnouncement;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Subjects;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * The {@link QuotaClient}: a NATS connection to each configured server ({@link ServerLinks}), one
 * logical thread ({@link SerialExecutor}) that runs every request state machine, a scheduler thread
 * for the timers and the heartbeat, and a small pool on which callers' futures complete.
 *
 * <p>Just over 400 lines because it is the one place that implements the whole {@link QuotaClient}
 * surface (blocking, trying, asynchronous and wrapped calls, close) and owns the resources they
 * share; the decisions live elsewhere ({@link AcquireMachine}, {@link SettleMachine},
 * {@link HubRouter}, {@link AcquireSlots}, {@link Heartbeats}, {@link ProviderCalls}).
 */
public final class DefaultQuotaClient implements QuotaClient {

    static final System.Logger LOG = System.getLogger("io.quotahub.agent");

    private final ClientConfig config;
    private final ServerLinks links;
    private final ScheduledExecutorService scheduler;
    private final SerialExecutor serial;
    private final InFlightRequests inFlight;
    private final Executor callbacks;
    /** The pool the client made and closes; null when the caller gave the executor. */
    private final ExecutorService ownCallbacks;
    private final HubRouter router;
    private final AcquireSlots acquireSlots;
    private final RetryPolicy retryPolicy;
    private final Notices notices = new Notices(LOG);
    private final ProviderCalls calls = new ProviderCalls(this);
    /** Announcements on each connection (whichever server is up), by connection. */
    private final Map<Connection, Dispatcher> dispatchers = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> heartbeat;
    private final Map<String, LeaseImpl> openLeases = new ConcurrentHashMap<>();
    private final Map<String, BlockSupply> blocks = new ConcurrentHashMap<>();
    private final Set<AcquireOperation> pending = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean terminated;

    /**
     * Connects (unless {@code config} holds a connection), subscribes to hub announcements and starts
     * heartbeats.
     *
     * @param config validated settings
     * @throws HubUnavailableException if no NATS server could be reached
     */
    public DefaultQuotaClient(ClientConfig config) {
        this.config = config;
        Ticker ticker = config.ticker();
        this.router = new HubRouter(ticker::nanos);
        this.acquireSlots = new AcquireSlots(ticker::nanos);
        this.retryPolicy = new RetryPolicy(config.jitter());
        this.scheduler = ClientThreads.scheduler(config.agentId());
        this.serial = new SerialExecutor(scheduler);
        this.inFlight = new InFlightRequests(ticker::nanos, this::schedule);
        this.links = config.connection() == null ? connect(config, this::listenToHubs, this::connectionLost)
                : ServerLinks.of(config.connection(), this::listenToHubs);
        this.ownCallbacks = config.callbackExecutor() == null ? ClientThreads.callbacks(config.agentId()) : null;
        this.callbacks = ownCallbacks != null ? ownCallbacks : config.callbackExecutor();
        long period = config.heartbeatInterval().toNanos();
        this.heartbeat = scheduler.scheduleAtFixedRate(this::sendHeartbeat, 0, period, TimeUnit.NANOSECONDS);
    }

    private void listenToHubs(Connection c) {
        Dispatcher d = c.createDispatcher(msg -> onHubMessage(c, msg));
        d.subscribe(Subjects.HUBS);
        dispatchers.put(c, d);
    }

    private static ServerLinks connect(ClientConfig config, java.util.function.Consumer<Connection> onConnected,
            java.util.function.Consumer<Connection> onLost) {
        try {
            return ServerLinks.connect(config, onConnected, onLost);
        } catch (IOException e) {
            throw new HubUnavailableException("cannot connect to any NATS server of " + config.servers() + " ("
                    + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubUnavailableException("interrupted while connecting to " + config.servers(), e);
        }
    }

    // ---- API

    @Override
    public String agentId() {
        return config.agentId();
    }

    @Override
    public Lease acquire(String pool, long tokens, Duration maxWait) {
        return acquire(pool, tokens, maxWait, config.defaultPriority());
    }

    @Override
    public Lease acquire(String pool, long tokens, Duration maxWait, Priority priority) {
        return await(start(pool, tokens, maxWait, priority, true));
    }

    @Override
    public Lease acquire(String pool, long tokens, Duration maxWait, AcquireOptions options) {
        return await(start(pool, tokens, maxWait, options, true));
    }

    @Override
    public Optional<Lease> tryAcquire(String pool, long tokens) {
        return tryAcquire(pool, tokens, config.defaultPriority());
    }

    @Override
    public Optional<Lease> tryAcquire(String pool, long tokens, Priority priority) {
        try {
            return Optional.of(acquire(pool, tokens, Duration.ZERO, priority));
        } catch (QuotaExhaustedException refused) {
            return Optional.empty();
        }
    }

    @Override
    public CompletableFuture<Lease> acquireAsync(String pool, long tokens, Duration maxWait) {
        return acquireAsync(pool, tokens, maxWait, config.defaultPriority());
    }

    @Override
    public CompletableFuture<Lease> acquireAsync(String pool, long tokens, Duration maxWait, Priority priority) {
        return start(pool, tokens, maxWait, priority, false);
    }

    @Override
    public CompletableFuture<Lease> acquireAsync(String pool, long tokens, Duration maxWait, AcquireOptions options) {
        return start(pool, tokens, maxWait, options, false);
    }

    private CompletableFuture<Lease> start(String pool, long tokens, Duration maxWait, Priority priority,
            boolean callerWaits) {
        return start(pool, tokens, maxWait, AcquireOptions.defaults(), callerWaits, priority);
    }

    private CompletableFuture<Lease> start(String pool, long tokens, Duration maxWait, AcquireOptions options,
            boolean callerWaits) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null (use AcquireOptions.defaults())");
        }
        Priority priority = options.priority() == null ? config.defaultPriority() : options.priority();
        return start(pool, tokens, maxWait, options, callerWaits, priority);
    }

    /** {@code callerWaits}: the caller blocks on the future and attaches nothing to it. */
    private CompletableFuture<Lease> start(String pool, long tokens, Duration maxWait, AcquireOptions options,
            boolean callerWaits, Priority priority) {
        AcquireArgs.validate(pool, tokens, maxWait, priority);
        if (closing.get()) {
            throw new IllegalStateException("QuotaClient is closed");
        }
        AcquireOperation op = new AcquireOperation(this, pool, tokens, AcquireArgs.toProto(priority), maxWait,
                options.fallback(), callerWaits);
        pending.add(op);
        op.start();
        return op.result;
    }

    private static Lease await(CompletableFuture<Lease> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new QuotaHubException(QuotaHubException.INTERRUPTED, "interrupted while acquiring a lease", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new QuotaHubException("INTERNAL", "acquire failed: " + cause, cause);
        }
    }

    @Override
    public CallBlocks blocks(String pool) {
        AcquireArgs.validate(pool, 1, Duration.ZERO, config.defaultPriority());
        if (closing.get()) {
            throw new IllegalStateException("QuotaClient is closed");
        }
        return blocks.computeIfAbsent(pool, p -> new BlockSupply(p, config.ticker(), blockHub));
    }

    /** What the blocks of every pool ask of this client: block requests, settles, a timer. */
    private final BlockSupply.Hub blockHub = new BlockSupply.Hub() {
        @Override
        public CompletableFuture<HeldBlock.Grant> request(String pool, long tokensPerCall, int calls, Duration maxWait) {
            AcquireArgs.validate(pool, tokensPerCall, maxWait, config.defaultPriority());
            if (closing.get()) {
                throw new IllegalStateException("QuotaClient is closed");
            }
            AcquireOperation op = new AcquireOperation(DefaultQuotaClient.this, pool, tokensPerCall,
                    AcquireArgs.toProto(config.defaultPriority()), maxWait, false, false, calls); // a block is of its own pool
            pending.add(op);
            // started on the client's timer, never on the caller's thread: a refill asked for by a
            // call drawn from a block must not make that call wait for a send
            DefaultQuotaClient.this.schedule(op::start, 0);
            return op.result.thenApply(lease -> grantOf((LeaseImpl) lease));
        }

        @Override
        public CompletableFuture<Void> settle(HeldBlock.Grant grant, Outcome outcome, long tokensUsed, int callsUsed,
                long retryAfterMs) {
            LeaseImpl lease = (LeaseImpl) grant.handle();
            if (!lease.claimForBlock(callsUsed)) {
                return CompletableFuture.completedFuture(null);
            }
            // started on the client's timer, as a refill (see request): the block's lock is held here
            CompletableFuture<Void> done = new CompletableFuture<>();
            DefaultQuotaClient.this.schedule(() -> DefaultQuotaClient.this.settle(lease, outcome, tokensUsed, retryAfterMs, "")
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            LOG.log(System.Logger.Level.WARNING, "block " + lease.leaseId() + " of pool '" + lease.pool()
                                    + "' could not be settled; the hub will expire it: " + e.getMessage());
                        }
                        done.complete(null);
                    }), 0);
            return done;
        }

        @Override
        public void schedule(Runnable task, long delayNanos) {
            DefaultQuotaClient.this.schedule(task, delayNanos);
        }
    };

    /** The block a lease granted for a block request is (a pool without blocks grants a lease of one call). */
    private HeldBlock.Grant grantOf(LeaseImpl lease) {
        boolean block = lease.blockCalls() > 0;
        long sentAt = lease.requestSentAt() >= 0 ? lease.requestSentAt() : config.ticker().nanos();
        long life = block ? TimeUnit.MILLISECONDS.toNanos(lease.blockExpiresInMs())
                : TimeUnit.MILLISECONDS.toNanos(Math.max(0, lease.expiresAt().toEpochMilli() - config.clock().millis()));
        return new HeldBlock.Grant(lease.pool(), lease.leaseId(), lease.hubId(), lease.keyId(), lease.apiKey(), block ? lease.blockCalls() : 1,
                lease.tokens(), life, sentAt, block, lease);
    }

    @Override
    public <T, E extends Exception> T call(String pool, long tokens, Duration maxWait,
            ResultReader<? super T> reader, RetryOptions retries, ProviderCall<T, E> body) throws E {
        AcquireArgs.validate(pool, tokens, maxWait, config.defaultPriority());
        return calls.call(pool, tokens, maxWait, reader, retries, body);
    }

    @Override
    public <T> CompletableFuture<T> callAsync(String pool, long tokens, Duration maxWait,
            ResultReader<? super T> reader, RetryOptions retries, AsyncProviderCall<T> body) {
        AcquireArgs.validate(pool, tokens, maxWait, config.defaultPriority());
        if (closing.get()) {
            throw new IllegalStateException("QuotaClient is closed");
        }
        return calls.callAsync(pool, tokens, maxWait, reader, retries, body);
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        heartbeat.cancel(false);
        for (AcquireOperation op : List.copyOf(pending)) {
            execute(() -> op.abort(new IllegalStateException("QuotaClient is closed")));
        }
        List<CompletableFuture<Void>> settles = new ArrayList<>();
        for (BlockSupply supply : blocks.values()) {
            settles.addAll(supply.closeAndSettle()); // with what was drawn, before the rest is settled UNKNOWN
        }
        for (LeaseImpl lease : List.copyOf(openLeases.values())) {
            CompletableFuture<Void> f = lease.settleOnClose();
            if (f != null) {
                settles.add(f);
            }
        }
        if (!settles.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "settling " + settles.size() + " open lease(s) as UNKNOWN with their estimate");
            try {
                CompletableFuture.allOf(settles.toArray(CompletableFuture[]::new))
                        .get(config.settleTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // each failure was logged by its lease
            }
        }
        terminated = true;
        for (Map.Entry<Connection, Dispatcher> e : dispatchers.entrySet()) {
            try {
                e.getKey().closeDispatcher(e.getValue());
            } catch (RuntimeException problem) {
                LOG.log(System.Logger.Level.DEBUG, () -> "closing dispatcher: " + problem.getMessage());
            }
        }
        links.close();
        scheduler.shutdownNow();
        if (ownCallbacks != null) {
            ownCallbacks.shutdown();
        }
        try {
            config.metrics().close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "closing metrics: " + e);
        }
    }

    // ---- internals used by the operations

    ClientConfig config() {
        return config;
    }

    ClientMetrics metrics() {
        return config.metrics();
    }

    HubRouter router() {
        return router;
    }

    /** Every backoff of the client. */
    RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** Outstanding acquire requests of this client (the client's logical thread only). */
    AcquireSlots acquireSlots() {
        return acquireSlots;
    }

    /** Runs acquires that {@link AcquireSlots} handed a slot, each as its own scheduler task. */
    void wake(Runnable[] acquires) {
        for (Runnable r : acquires) {
            execute(r);
        }
    }

    /** Where the hubs' reply notices are logged, once per pool and notice. */
    Notices notices() {
        return notices;
    }

    boolean isClosing() {
        return closing.get();
    }

    /** Every connection is closed for good (not reconnecting): an embedding application closed it. */
    boolean isConnectionClosed() {
        return links.allClosed();
    }

    boolean isTerminated() {
        return terminated;
    }

    void operationDone(AcquireOperation op) {
        pending.remove(op);
    }

    /** Runs on the client's single logical thread ({@link SerialExecutor}: the state machines are confined to it). */
    void execute(Runnable task) {
        serial.execute(guarded(task));
    }

    /** Runs {@code task} on the client's logical thread after {@code delayNanos} (the scheduler is its timer). */
    void schedule(Runnable task, long delayNanos) {
        Runnable guarded = guarded(task);
        try {
            scheduler.schedule(() -> serial.execute(guarded), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            serial.execute(guarded); // client terminated: let the operation notice and fail
        }
    }

    /** Completes a caller-visible future off the scheduler and off NATS threads. */
    void callback(Runnable task) {
        try {
            callbacks.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    private static Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "unexpected error in QuotaHub client task", e);
            }
        };
    }

    /**
     * Sends a request with a timeout on the active connection (on the client's logical thread);
     * {@code handler} runs there too. {@code route} "no responders" through a server while a hub that
     * should answer is alive elsewhere sends the same request once more on the other connection
     * ({@link ServerLinks#moveAwayFrom}); so does a request through a connection on trial that got
     * no answer within the trial ({@link ServerLinks#trialTimeout}).
     */
    void request(Route route, byte[] body, long timeoutNanos, BiConsumer<Message, Throwable> handler) {
        send(links.active(), route, body, timeoutNanos, handler, true);
    }

    private void send(Connection conn, Route route, byte[] body, long timeoutNanos,
            BiConsumer<Message, Throwable> handler, boolean mayMove) {
        long waitNanos = mayMove ? links.trialTimeout(conn, timeoutNanos) : timeoutNanos;
        links.request(conn, route.subject(), body, waitNanos, inFlight).whenComplete((msg, error) -> execute(() -> {
            if (error == null) {
                if (route.isQueue() && links.onTrial(conn)) {
                    if (HubReplies.isError(route, msg)) {
                        links.trialFailed(conn); // the next request takes the other connection
                    } else {
                        links.answeredThrough(conn); // the hub behind this server serves
                    }
                }
            } else if (mayMove) {
                ClientMetrics.RouteFailure failure = Requests.classify(error);
                Connection other = null;
                long left = timeoutNanos;
                if (failure == ClientMetrics.RouteFailure.NO_RESPONDERS
                        && (route.isQueue() || router.isFresh(route.hubId()))) {
                    other = links.moveAwayFrom(conn);
                } else if (failure == ClientMetrics.RouteFailure.TIMEOUT && waitNanos < timeoutNanos) {
                    other = links.trialFailed(conn);
                    left = timeoutNanos - waitNanos; // the attempt keeps its whole timeout
                    LOG.log(System.Logger.Level.DEBUG, () -> "no answer on " + route.subject()
                            + " within the trial of a server that came back: sending it through the other server");
                }
                if (other != null) {
                    send(other, route, body, left, handler, false);
                    return;
                }
            }
            handler.accept(msg, error);
        }));
    }

    /** A connection dropped (NATS thread): its requests in flight can never be answered. */
    private void connectionLost(Connection connection) {
        execute(() -> inFlight.connectionLost(connection));
    }

    LeaseImpl openLease(String hubId, Granted g, long requestedTokens) {
        long tokens = g.getTokens() > 0 ? g.getTokens() : requestedTokens;
        LeaseImpl lease = new LeaseImpl(this, g.getLeaseId(), g.getPool(), g.getRequestedPool(), g.getKeyId(), g.getApiKey(),
                g.getLeaseSecret(), tokens, Instant.ofEpochMilli(g.getExpiresAtEpochMs()), hubId);
        lease.block(g.getBlockCalls(), g.getBlockExpiresInMs());
        openLeases.put(lease.leaseId(), lease);
        return lease;
    }

    boolean isOpenLease(String leaseId) {
        return openLeases.containsKey(leaseId);
    }

    CompletableFuture<Void> settle(LeaseImpl lease, Outcome outcome, long tokensUsed, long retryAfterMs,
            String detail) {
        return settle(lease, outcome, tokensUsed, retryAfterMs, detail, false);
    }

    /** {@code callerWaits}: the caller blocks on the future and attaches nothing to it. */
    CompletableFuture<Void> settle(LeaseImpl lease, Outcome outcome, long tokensUsed, long retryAfterMs,
            String detail, boolean callerWaits) {
        openLeases.remove(lease.leaseId());
        SettleOperation op = new SettleOperation(this, lease, outcome, tokensUsed, retryAfterMs, detail, callerWaits);
        op.start();
        return op.result;
    }

    /** Ids of the hubs heard from so far (announcements and replies). */
    public Set<String> knownHubs() {
        return router.knownHubs();
    }

    /** Ids of the leases held now (what the next heartbeat lists). */
    public Set<String> openLeaseIds() {
        return Set.copyOf(openLeases.keySet());
    }

    /** Proofs per heartbeat message ({@link Heartbeats#MAX_PROOFS}). */
    public static final int MAX_PROOFS_PER_HEARTBEAT = Heartbeats.MAX_PROOFS;

    private void sendHeartbeat() {
        Heartbeats.send(config, links.active(), openLeases.values());
    }

    private void onHubMessage(Connection via, Message msg) {
        try {
            HubAnnouncement a = HubAnnouncement.parseFrom(msg.getData());
            router.onAnnouncement(a.getHubId(), a.getReady());
            if (a.getReady() && links != null) {
                links.hubHeard(via);
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            LOG.log(System.Logger.Level.DEBUG, "ignoring an unparsable hub announcement");
        }
    }

    @Override
    public String toString() {
        return "QuotaClient[agent=" + config.agentId() + ", hubs=" + router.knownHubs() + ", openLeases="
                + openLeases.size() + (closing.get() ? ", closed" : "") + "]";
    }
}
