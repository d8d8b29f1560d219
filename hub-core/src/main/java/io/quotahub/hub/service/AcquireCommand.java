package io.quotahub.hub.service;

import io.quotahub.engine.Priority;

import java.time.Instant;

/**
 * An acquire as it arrives from NATS or HTTP, before validation.
 *
 * @param deadline absolute; null when the client gave none (HTTP)
 */
public record AcquireCommand(String requestId, String agentId, String pool, long tokens, Priority priority,
                             Instant deadline) {
}
