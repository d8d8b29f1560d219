package io.quotahub.hub.service;

import io.quotahub.engine.Outcome;
import io.quotahub.engine.Settlement;

import java.time.Duration;
import java.time.Instant;

/**
 * A settle as it arrives from NATS or HTTP.
 *
 * @param outcome     null when the client sent none or an unknown one
 * @param retryAfter  with RATE_LIMITED: the provider's Retry-After, ZERO if none
 * @param deadline    absolute; null when the client gave none (HTTP)
 * @param leaseSecret the secret the lease's grant carried ("" or null when none was presented); never logged
 * @param principal   who settles, as the transport authenticated it ({@link Principals}; "" unauthenticated)
 * @param provider    what the provider reported about the key, null when the client sent nothing
 * @param callDurationMs how long the provider call took, 0 when not measured (for listeners of
 *                    settles, e.g. per-key latency; the hub itself does not use it)
 * @param callsUsed   of a block: the calls made with it ({@link Settlement#CALLS_NOT_REPORTED}: all of
 *                    them); ignored for a lease of one call
 */
public record SettleCommand(String requestId, String leaseId, String agentId, long tokensUsed, Outcome outcome,
                            Duration retryAfter, String detail, Instant deadline, String leaseSecret, String principal,
                            ProviderReport provider, long callDurationMs, int callsUsed) {

    public SettleCommand {
        principal = principal == null ? Principals.NONE : principal;
    }

    /**
     * A settle that reports no calls (the HTTP API's): a lease of one call counts one, a block all of
     * its calls ({@link Settlement#CALLS_NOT_REPORTED}).
     */
    public SettleCommand(String requestId, String leaseId, String agentId, long tokensUsed, Outcome outcome,
                         Duration retryAfter, String detail, Instant deadline, String leaseSecret, String principal,
                         ProviderReport provider, long callDurationMs) {
        this(requestId, leaseId, agentId, tokensUsed, outcome, retryAfter, detail, deadline, leaseSecret, principal,
                provider, callDurationMs, Settlement.CALLS_NOT_REPORTED);
    }

    /** A settle without a provider report or call duration. */
    public SettleCommand(String requestId, String leaseId, String agentId, long tokensUsed, Outcome outcome,
                         Duration retryAfter, String detail, Instant deadline, String leaseSecret, String principal) {
        this(requestId, leaseId, agentId, tokensUsed, outcome, retryAfter, detail, deadline, leaseSecret, principal, null, 0);
    }

    /** An unauthenticated settle. */
    public SettleCommand(String requestId, String leaseId, String agentId, long tokensUsed, Outcome outcome,
                         Duration retryAfter, String detail, Instant deadline, String leaseSecret) {
        this(requestId, leaseId, agentId, tokensUsed, outcome, retryAfter, detail, deadline, leaseSecret, Principals.NONE);
    }

    @Override
    public String toString() {
        return "SettleCommand[requestId=" + requestId + ", leaseId=" + leaseId + ", agentId=" + agentId + ", tokensUsed="
                + tokensUsed + ", outcome=" + outcome + ", retryAfter=" + retryAfter + ", deadline=" + deadline
                + ", leaseSecret=" + (leaseSecret == null || leaseSecret.isEmpty() ? "none" : "hidden") + ", principal=" + principal
                + ", provider=" + provider + ", callDurationMs=" + callDurationMs + ", callsUsed=" + callsUsed + "]";
    }
}
