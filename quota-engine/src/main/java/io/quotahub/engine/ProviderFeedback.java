package io.quotahub.engine;

import java.util.List;

/**
 * What the engine did with a provider's report: the external use it booked and the limit
 * observations that changed what it knew (the hub appends both to its ledger, so the peer and a
 * replay fold the same), and how many reported limits matched none of the key's limits.
 */
public record ProviderFeedback(List<ExternalUse> booked, List<LimitObservation> observed, int unmatched) {

    public static final ProviderFeedback NONE = new ProviderFeedback(List.of(), List.of(), 0);

    public ProviderFeedback {
        booked = List.copyOf(booked);
        observed = List.copyOf(observed);
    }

    public boolean changedNothing() {
        return booked.isEmpty() && observed.isEmpty();
    }
}
