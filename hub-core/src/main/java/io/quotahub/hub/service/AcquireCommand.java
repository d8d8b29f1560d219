package io.quotahub.hub.service;

import io.quotahub.engine.Priority;

import java.time.Instant;

/**
 * An acquire as it arrives from NATS or HTTP, before validation.
 *
 * @param deadline  absolute; null when the client gave none (HTTP)
 * @param principal who asks, as the transport authenticated it ({@link Principals}; "" unauthenticated)
 * @param fallback  whether a fallback pool may serve it when the pool has no room (the default; a
 *                  caller opts out per call)
 * @param waitUntil until when the caller waits for room (its maxWait), or null when it does not
 *                  wait: while the pool itself will have room before then, no fallback is tried
 * @param blockCalls 0: one call; n &gt; 0: a block of at most n calls of about {@code tokens} each (NATS only)
 */
public record AcquireCommand(String requestId, String agentId, String pool, long tokens, Priority priority,
                             Instant deadline, String principal, boolean fallback, Instant waitUntil, int blockCalls) {

    public AcquireCommand {
        principal = principal == null ? Principals.NONE : principal;
    }

    /** An acquire of one call that may fall back and does not wait. */
    public AcquireCommand(String requestId, String agentId, String pool, long tokens, Priority priority,
                          Instant deadline, String principal) {
        this(requestId, agentId, pool, tokens, priority, deadline, principal, true, null);
    }

    /** An acquire of one call. */
    public AcquireCommand(String requestId, String agentId, String pool, long tokens, Priority priority,
                          Instant deadline, String principal, boolean fallback, Instant waitUntil) {
        this(requestId, agentId, pool, tokens, priority, deadline, principal, fallback, waitUntil, 0);
    }

    /** An unauthenticated acquire. */
    public AcquireCommand(String requestId, String agentId, String pool, long tokens, Priority priority, Instant deadline) {
        this(requestId, agentId, pool, tokens, priority, deadline, Principals.NONE);
    }

    /** The same acquire, waiting until {@code until}. */
    public AcquireCommand waitingUntil(Instant until) {
        return new AcquireCommand(requestId, agentId, pool, tokens, priority, deadline, principal, fallback, until);
    }
}
