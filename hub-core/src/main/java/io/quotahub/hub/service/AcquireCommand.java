package io.quotahub.hub.service;

import io.quotahub.engine.Priority;

import java.time.Instant;

/**
 * An acquire as it arrives from NATS or HTTP, before validation.
 *
 * @param deadline  absolute; null when the client gave none (HTTP)
 * @param principal who asks, as the transport authenticated it ({@link Principals}; "" unauthenticated)
 * @param blockCalls 0: one call; n &gt; 0: a block of at most n calls of about {@code tokens} each (NATS only)
 */
public record AcquireCommand(String requestId, String agentId, String pool, long tokens, Priority priority,
                             Instant deadline, String principal, int blockCalls) {

    public AcquireCommand {
        principal = principal == null ? Principals.NONE : principal;
    }

    /** An acquire of one call. */
    public AcquireCommand(String requestId, String agentId, String pool, long tokens, Priority priority,
                          Instant deadline, String principal) {
        this(requestId, agentId, pool, tokens, priority, deadline, principal, 0);
    }

    /** An unauthenticated acquire. */
    public AcquireCommand(String requestId, String agentId, String pool, long tokens, Priority priority, Instant deadline) {
        this(requestId, agentId, pool, tokens, priority, deadline, Principals.NONE);
    }
}
