package io.quotahub.engine;

import java.time.Duration;
import java.time.Instant;

/**
 * The end of a lease: what it really used and how the call went. Charged into the windows at
 * {@code settledAt}.
 *
 * @param retryAfter the provider's Retry-After with {@link Outcome#RATE_LIMITED}; {@link Duration#ZERO} if none
 */
public record Settlement(String leaseId, long tokensUsed, Outcome outcome, Duration retryAfter, Instant settledAt) {
}
