package io.quotahub.engine;

import java.time.Duration;
import java.time.Instant;

/**
 * The end of a lease: what it really used and how the call went. Charged into the windows at
 * {@code settledAt}.
 *
 * @param retryAfter the provider's Retry-After with {@link Outcome#RATE_LIMITED}; {@link Duration#ZERO} if none
 * @param callsUsed  of a block: the calls made with it (the rest returns); {@link #CALLS_NOT_REPORTED} counts
 *                   all of them. A lease of one call counts one call whatever this says.
 */
public record Settlement(String leaseId, long tokensUsed, Outcome outcome, Duration retryAfter, Instant settledAt,
                         int callsUsed) {

    /** A settle that does not say how many calls of a block were made: all of them count. */
    public static final int CALLS_NOT_REPORTED = -1;

    /** A settle that does not report calls (a lease of one call, or a block counted whole). */
    public Settlement(String leaseId, long tokensUsed, Outcome outcome, Duration retryAfter, Instant settledAt) {
        this(leaseId, tokensUsed, outcome, retryAfter, settledAt, CALLS_NOT_REPORTED);
    }
}
