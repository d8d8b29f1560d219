package io.quotahub.agent.internal;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.agent.provider.ProviderReading;
import io.quotahub.agent.provider.ProviderReport;
import io.quotahub.proto.Outcome;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A granted lease; settles once through its client. Holds the grant's lease secret, the proof that
 * this agent holds the lease: it goes only into this lease's settles and the client's heartbeats,
 * never into {@code toString()}, a log or an exception message.
 */
final class LeaseImpl implements Lease {

    /** Hubs refuse a failure text longer than this many UTF-8 bytes. */
    static final int MAX_DETAIL_BYTES = io.quotahub.proto.WireBounds.MAX_FIELD_BYTES;

    private final DefaultQuotaClient client;
    private final String leaseId;
    private final String pool;
    private final String requestedPool;
    private final String keyId;
    private final String apiKey;
    private final String secret;
    private final long tokens;
    private final Instant expiresAt;
    private final String hubId;
    private final AtomicBoolean settled = new AtomicBoolean();
    /** What the provider said, sent with the settle. */
    private volatile ProviderReport report = ProviderReport.EMPTY;
    /** How long the provider call took, measured by {@code QuotaClient.call}; 0 when not measured. */
    private volatile long callDurationMs;
    /** Of a block: its calls and how long it may be used (0 for a lease of one call), and the calls its settle reports. */
    private volatile int blockCalls;
    private volatile long blockExpiresInMs;
    private volatile int callsUsed;
    /** When the granted request was first sent (the client's ticker), -1 if unknown. */
    private volatile long requestSentAt = -1;

    LeaseImpl(DefaultQuotaClient client, String leaseId, String pool, String keyId, String apiKey, String secret,
            long tokens, Instant expiresAt, String hubId) {
        this(client, leaseId, pool, "", keyId, apiKey, secret, tokens, expiresAt, hubId);
    }

    /** @param requestedPool the pool asked for when a fallback pool granted the lease; "" otherwise */
    LeaseImpl(DefaultQuotaClient client, String leaseId, String pool, String requestedPool, String keyId, String apiKey,
            String secret, long tokens, Instant expiresAt, String hubId) {
        this.client = client;
        this.leaseId = leaseId;
        this.pool = pool;
        this.requestedPool = requestedPool == null || requestedPool.isEmpty() ? pool : requestedPool;
        this.keyId = keyId;
        this.apiKey = apiKey;
        this.secret = secret;
        this.tokens = tokens;
        this.expiresAt = expiresAt;
        this.hubId = hubId;
    }

    @Override
    public String leaseId() {
        return leaseId;
    }

    @Override
    public String pool() {
        return pool;
    }

    @Override
    public String requestedPool() {
        return requestedPool;
    }

    @Override
    public String keyId() {
        return keyId;
    }

    @Override
    public String apiKey() {
        return apiKey;
    }

    /** The grant's lease secret (empty from a hub that issues none): for settles and heartbeats only. */
    String secret() {
        return secret;
    }

    /** {@code text} with this lease's API key masked and its secret removed. */
    String scrub(String text) {
        return Secrets.redact(Secrets.scrub(text, apiKey), secret);
    }

    @Override
    public long tokens() {
        return tokens;
    }

    @Override
    public Instant expiresAt() {
        return expiresAt;
    }

    @Override
    public String hubId() {
        return hubId;
    }

    @Override
    public boolean isSettled() {
        return settled.get();
    }

    @Override
    public void complete(long tokensUsed) {
        if (tokensUsed < 0) {
            throw new IllegalArgumentException("tokensUsed must be >= 0, was " + tokensUsed);
        }
        settleAndWait(Outcome.OK, tokensUsed, 0, "");
    }

    @Override
    public CompletableFuture<Void> completeAsync(long tokensUsed) {
        if (tokensUsed < 0) {
            throw new IllegalArgumentException("tokensUsed must be >= 0, was " + tokensUsed);
        }
        claim();
        return client.settle(this, Outcome.OK, tokensUsed, 0, "").handle((v, e) -> {
            if (e == null) {
                return null;
            }
            throw asHubException(e);
        });
    }

    @Override
    public void rateLimited(Duration retryAfter) {
        if (retryAfter == null || retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must be zero or positive, was " + retryAfter);
        }
        settleAndWait(Outcome.RATE_LIMITED, 0, retryAfter.toMillis(), "");
    }

    @Override
    public void failed(String reason) {
        if (reason == null) {
            throw new IllegalArgumentException("reason must not be null");
        }
        // scrub before cutting: a key cut in half would no longer match and would go out in part
        String detail = Utf8.truncate(scrub(reason), MAX_DETAIL_BYTES);
        settleAndWait(Outcome.ERROR, tokens, 0, detail);
    }

    @Override
    public void authFailed() {
        settleAndWait(Outcome.AUTH_FAILED, 0, 0, "");
    }

    @Override
    public Lease report(ProviderReport providerReport) {
        java.util.Objects.requireNonNull(providerReport, "report");
        if (settled.get()) {
            throw new IllegalStateException("lease " + leaseId + " is already settled");
        }
        this.report = providerReport;
        return this;
    }

    @Override
    public void settle(ProviderReading reading) {
        java.util.Objects.requireNonNull(reading, "reading");
        report(reading.report());
        switch (reading.outcome()) {
            case OK -> complete(reading.tokensUsed().orElse(tokens));
            case RATE_LIMITED -> rateLimited(reading.retryAfter().orElse(Duration.ZERO));
            case AUTH_FAILED -> authFailed();
            case ERROR -> failed(reading.transientError() ? "provider error, transient" : "provider error");
        }
    }

    /**
     * Settles with what an adapter read, without waiting ({@code QuotaClient.call}); the future fails
     * with the hub's {@link QuotaHubException}.
     *
     * @throws IllegalStateException if the lease was already settled
     */
    CompletableFuture<Void> settleAsync(ProviderReading reading, boolean callerWaits) {
        report(reading.report());
        claim();
        CompletableFuture<Void> settle = switch (reading.outcome()) {
            case OK -> client.settle(this, Outcome.OK, reading.tokensUsed().orElse(tokens), 0, "", callerWaits);
            case RATE_LIMITED -> client.settle(this, Outcome.RATE_LIMITED, 0,
                    reading.retryAfter().orElse(Duration.ZERO).toMillis(), "", callerWaits);
            case AUTH_FAILED -> client.settle(this, Outcome.AUTH_FAILED, 0, 0, "", callerWaits);
            case ERROR -> client.settle(this, Outcome.ERROR, tokens, 0,
                    reading.transientError() ? "provider error, transient" : "provider error", callerWaits);
        };
        return hubFailures(settle);
    }

    /**
     * {@link #failed(String)} without waiting.
     *
     * @throws IllegalStateException if the lease was already settled
     */
    CompletableFuture<Void> failAsync(String reason, boolean callerWaits) {
        claim();
        return hubFailures(client.settle(this, Outcome.ERROR, tokens, 0, Utf8.truncate(scrub(reason), MAX_DETAIL_BYTES),
                callerWaits));
    }

    private CompletableFuture<Void> hubFailures(CompletableFuture<Void> settle) {
        return settle.handle((v, e) -> {
            if (e == null) {
                return null;
            }
            throw asHubException(e);
        });
    }

    void block(int calls, long expiresInMs) {
        this.blockCalls = Math.max(0, calls);
        this.blockExpiresInMs = Math.max(0, expiresInMs);
    }

    int blockCalls() {
        return blockCalls;
    }

    long blockExpiresInMs() {
        return blockExpiresInMs;
    }

    void requestSentAt(long nanos) {
        this.requestSentAt = nanos;
    }

    long requestSentAt() {
        return requestSentAt;
    }

    /** The calls the settle reports (a block's); 0 for a lease of one call. */
    int callsUsed() {
        return callsUsed;
    }

    /**
     * Claims the lease of a block for its settle with {@code calls} used.
     *
     * @return false if it was settled already (released, or the client closed)
     */
    boolean claimForBlock(int calls) {
        if (!settled.compareAndSet(false, true)) {
            return false;
        }
        this.callsUsed = Math.max(0, calls);
        return true;
    }

    /** The report the settle carries. */
    ProviderReport providerReport() {
        return report;
    }

    /** The measured duration of the provider call the settle carries (0 if not measured). */
    long callDurationMs() {
        return callDurationMs;
    }

    void callDuration(long millis) {
        this.callDurationMs = Math.max(0, millis);
    }

    @Override
    public void close() {
        CompletableFuture<Void> settle = settleOnClose();
        if (settle != null) {
            try {
                settle.join();
            } catch (CompletionException | java.util.concurrent.CancellationException e) {
                // already logged by settleOnClose
            }
        }
    }

    /**
     * Claims the lease and settles it UNKNOWN with its estimate (close, client close): nobody said
     * how the call went, so it neither credits nor blames the key. Null if already settled.
     */
    CompletableFuture<Void> settleOnClose() {
        if (!settled.compareAndSet(false, true)) {
            return null;
        }
        return client.settle(this, Outcome.UNKNOWN, tokens, 0, "").whenComplete((v, e) -> {
            if (e != null) {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                DefaultQuotaClient.LOG.log(System.Logger.Level.WARNING, "lease " + leaseId + " of pool '" + pool
                        + "' (key " + keyId + ") could not be settled on close; the hub will expire it: "
                        + cause.getMessage());
            }
        });
    }

    /** Gives an unused lease back (its acquire was cancelled): OK with 0 tokens, fire and forget. */
    void release() {
        if (settled.compareAndSet(false, true)) {
            client.settle(this, Outcome.OK, 0, 0, "unused").exceptionally(e -> null);
        }
    }

    private void claim() {
        if (!settled.compareAndSet(false, true)) {
            throw new IllegalStateException("lease " + leaseId + " is already settled");
        }
    }

    private void settleAndWait(Outcome outcome, long tokensUsed, long retryAfterMs, String detail) {
        claim();
        try {
            client.settle(this, outcome, tokensUsed, retryAfterMs, detail, true).join();
        } catch (CompletionException e) {
            throw asHubException(e);
        }
    }

    /** The QuotaHubException behind a failed settle (the operation fails with one, or with a client error). */
    private QuotaHubException asHubException(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof QuotaHubException q) {
            return q;
        }
        return new QuotaHubException("INTERNAL", "settle of lease " + leaseId + " failed: " + cause.getMessage(), cause);
    }

    @Override
    public String toString() {
        return "Lease[id=" + leaseId + ", pool=" + pool + ", key=" + keyId + ", apiKey=" + Secrets.mask(apiKey)
                + ", tokens=" + tokens + ", hub=" + hubId + ", expiresAt=" + expiresAt + ", settled=" + settled.get()
                + "]";
    }
}
