package io.quotahub.hub.service;

import java.util.List;

/**
 * What the provider said about the key in its answer to the call a settle is for, as a client sent
 * it (NATS {@code SettleRequest.provider}, HTTP {@code provider}); {@link SettleService} checks it
 * before anything is done with it.
 *
 * @param quotaId the provider's name of the limit that refused ("" or null when none)
 */
public record ProviderReport(String quotaId, List<Limit> limits) {

    /** The most limits one report may carry. */
    public static final int MAX_LIMITS = 8;

    public ProviderReport {
        limits = limits == null ? List.of() : List.copyOf(limits);
    }

    /**
     * One limit as reported; null fields are ones the provider did not send.
     *
     * @param kind REQUESTS, TOKENS, INPUT_TOKENS or OUTPUT_TOKENS (anything else is refused)
     */
    public record Limit(String kind, Long limit, Long remaining, Long resetAfterMs) {
    }
}
