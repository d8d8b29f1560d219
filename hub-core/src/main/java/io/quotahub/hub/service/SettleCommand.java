package io.quotahub.hub.service;

import io.quotahub.engine.Outcome;

import java.time.Duration;
import java.time.Instant;

/**
 * A settle as it arrives from NATS or HTTP.
 *
 * @param outcome    null when the client sent none or an unknown one
 * @param retryAfter with RATE_LIMITED: the provider's Retry-After, ZERO if none
 * @param deadline   absolute; null when the client gave none (HTTP)
 */
public record SettleCommand(String requestId, String leaseId, String agentId, long tokensUsed, Outcome outcome,
                            Duration retryAfter, String detail, Instant deadline) {
}
