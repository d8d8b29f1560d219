package io.quotahub.agent;

import io.quotahub.agent.provider.ProviderReading;
import io.quotahub.agent.provider.ProviderReport;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * Permission from a hub to make one call to a provider, with the API key to use. Report how the
 * call went with exactly one of {@link #complete(long)}, {@link #rateLimited(Duration)},
 * {@link #failed(String)}, {@link #authFailed()} or {@link #settle(ProviderReading)} (what a
 * {@linkplain io.quotahub.agent.provider.Providers provider adapter} read from the answer);
 * {@link #close()} without an outcome settles the lease as {@code UNKNOWN}: its estimate counted as
 * used, neither a success nor a failure of the key. Use it in try-with-resources so that no lease
 * is left open:
 *
 * <pre>{@code
 * try (Lease lease = client.acquire("demo", 1200, Duration.ofSeconds(5))) {
 *     callProvider(lease.apiKey());
 *     lease.complete(1432);
 * }
 * }</pre>
 *
 * <p>{@link QuotaClient#call(String, long, Duration, ProviderCall) QuotaClient.call} does all of
 * this for a provider call: acquires, calls, reads the answer and settles.
 *
 * <p>A settle goes to the hub that granted the lease first and to any hub through the hubs' queue
 * group if that hub does not answer, retried with the same request id (hubs treat the retry as a
 * duplicate) until the client's settle timeout. {@code toString()} never shows the API key (at most
 * its last four characters). Leases are thread-safe.
 *
 * <p>Only its holder can settle a lease: the grant carries a lease secret, kept inside the lease
 * (never exposed, logged, shown by {@code toString()} or put in an exception message), which every
 * settle and the client's heartbeats present. A hub that does not accept it answers
 * {@code FORBIDDEN}; that settle is not retried and fails with a {@link QuotaHubException} of that
 * code (the hub then settles the lease when it expires).
 */
public interface Lease extends AutoCloseable {

    /**
     * The hub's id of this lease.
     *
     * @return the lease id
     */
    String leaseId();

    /**
     * The pool the lease was granted from.
     *
     * @return the pool name
     */
    String pool();

    /**
     * The pool this lease was asked for: {@link #pool()}, unless a fallback pool granted it because
     * the pool asked for had no room within the acquire's wait.
     *
     * @return the pool named in the acquire
     */
    default String requestedPool() {
        return pool();
    }

    /**
     * Id of the key to use (safe to log, unlike {@link #apiKey()}).
     *
     * @return the key id
     */
    String keyId();

    /**
     * The secret API key to call the provider with. Never log it.
     *
     * @return the key's secret
     */
    String apiKey();

    /**
     * The token estimate reserved for this lease until it is settled.
     *
     * @return the estimate given to {@code acquire}
     */
    long tokens();

    /**
     * When the hub will settle the lease by itself if the agent does not (the agent is presumed
     * dead then); make the call before it.
     *
     * @return the lease's expiry
     */
    Instant expiresAt();

    /**
     * Id of the hub that granted the lease.
     *
     * @return the hub id, e.g. {@code main}
     */
    String hubId();

    /**
     * Whether an outcome was already reported (or the lease was closed).
     *
     * @return true once settled
     */
    boolean isSettled();

    /**
     * Reports a successful call that used {@code tokensUsed} tokens; the hub corrects its estimate.
     * Blocks until a hub confirmed the settle.
     *
     * @param tokensUsed tokens the provider counted, {@code >= 0}
     * @throws IllegalArgumentException if {@code tokensUsed} is negative
     * @throws IllegalStateException    if the lease was already settled
     * @throws HubUnavailableException  if no hub confirmed the settle within the settle timeout
     *                                  (the lease is then settled by the hub when it expires)
     * @throws QuotaHubException        if a hub rejected the settle, e.g. {@code FORBIDDEN} (the lease
     *                                  secret was not accepted; not retried), {@code BAD_REQUEST}
     *                                  ({@code tokensUsed} above the pool's bound) or
     *                                  {@code UNKNOWN_LEASE} (no hub knew the lease until the timeout)
     */
    void complete(long tokensUsed);

    /**
     * Non-blocking {@link #complete(long)}: reports a successful call that used {@code tokensUsed}
     * tokens and returns at once. The lease counts as settled from this call on (a second outcome
     * throws {@link IllegalStateException}); the settle is sent and retried like
     * {@code complete}'s. An agent that makes many calls concurrently settles this way without
     * parking a thread per call.
     *
     * @param tokensUsed tokens the provider counted, {@code >= 0}
     * @return a future that completes when a hub confirmed the settle, or completes exceptionally
     *         with {@link HubUnavailableException} if none did within the settle timeout (the hub
     *         then settles the lease when it expires) or with {@link QuotaHubException} if a hub
     *         rejected it (e.g. {@code FORBIDDEN}, not retried)
     * @throws IllegalArgumentException if {@code tokensUsed} is negative
     * @throws IllegalStateException    if the lease was already settled
     */
    CompletableFuture<Void> completeAsync(long tokensUsed);

    /**
     * Reports that the provider answered "rate limited" (HTTP 429): the key cools down. Reports 0
     * tokens used.
     *
     * @param retryAfter the provider's Retry-After, {@link Duration#ZERO} if it gave none
     * @throws IllegalArgumentException if {@code retryAfter} is null or negative
     * @throws IllegalStateException    if the lease was already settled
     * @throws HubUnavailableException  if no hub confirmed the settle within the settle timeout
     * @throws QuotaHubException        if a hub rejected the settle
     */
    void rateLimited(Duration retryAfter);

    /**
     * Reports that the call failed (timeout, 5xx…); feeds the key's circuit breaker. Reports the
     * estimate as used, since the provider may have counted the call.
     *
     * @param reason short reason, e.g. {@code "timeout"}; must not contain a secret (an occurrence
     *               of this lease's key is masked anyway); at most 128 UTF-8 bytes of it are sent
     *               (hubs refuse longer texts), cut on a character boundary
     * @throws IllegalArgumentException if {@code reason} is null
     * @throws IllegalStateException    if the lease was already settled
     * @throws HubUnavailableException  if no hub confirmed the settle within the settle timeout
     * @throws QuotaHubException        if a hub rejected the settle
     */
    void failed(String reason);

    /**
     * Reports that the provider rejected the key itself (HTTP 401/403): the hub disables the key
     * until an operator re-enables it. Reports 0 tokens used.
     *
     * @throws IllegalStateException   if the lease was already settled
     * @throws HubUnavailableException if no hub confirmed the settle within the settle timeout
     * @throws QuotaHubException       if a hub rejected the settle
     */
    void authFailed();

    /**
     * Attaches what the provider said about the key (its limits, the quota that refused) to the
     * outcome reported next, or to {@link #close()}: the hub learns of the provider's own counts.
     * {@link #settle(ProviderReading)} attaches its reading's report by itself.
     *
     * @param report the report, e.g. {@code Providers.openai().read(...).report()}
     * @return this lease
     * @throws NullPointerException  if {@code report} is null
     * @throws IllegalStateException if the lease was already settled
     */
    Lease report(ProviderReport report);

    /**
     * Reports what a provider adapter read from the answer, with its report: {@code OK} as
     * {@link #complete(long)} of the provider's token count (the estimate when it gave none),
     * {@code RATE_LIMITED} as {@link #rateLimited(Duration)} of its retry-after (zero when none),
     * {@code AUTH_FAILED} as {@link #authFailed()}, {@code ERROR} as {@link #failed(String)} with
     * {@code "provider error"} (and {@code ", transient"} for a 5xx). Nothing of the answer's body
     * is sent.
     *
     * @param reading what the adapter read
     * @throws NullPointerException    if {@code reading} is null
     * @throws IllegalStateException   if the lease was already settled
     * @throws HubUnavailableException if no hub confirmed the settle within the settle timeout
     * @throws QuotaHubException       if a hub rejected the settle
     */
    void settle(ProviderReading reading);

    /**
     * Settles the lease as {@code UNKNOWN} if no outcome was reported (the call may have thrown, or
     * its result was not looked at): its estimate ({@link #tokens()}) is counted as used, and the
     * key is neither credited with a success nor blamed for a failure. Does nothing after an
     * outcome. Never throws: a settle that fails is logged (without secrets) and the hub settles the
     * lease when it expires.
     */
    @Override
    void close();
}
