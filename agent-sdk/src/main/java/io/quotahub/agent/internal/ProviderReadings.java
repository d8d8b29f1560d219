package io.quotahub.agent.internal;

import io.quotahub.agent.provider.ProviderLimit;
import io.quotahub.agent.provider.ProviderOutcome;
import io.quotahub.agent.provider.ProviderReading;
import io.quotahub.agent.provider.ProviderReport;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Puts a reading together from what an adapter found, by the rules all adapters share. */
final class ProviderReadings {

    private ProviderReadings() {
    }

    /**
     * @param answer       the answer
     * @param outcome      its outcome (the status's, or an adapter's correction from the body)
     * @param limits       the limits it described, any order
     * @param quotaId      the limit that refused, if the answer named it
     * @param providerHint the provider's own retry hint (Gemini's retryDelay)
     * @param tokensUsed   the provider's count, read only for OK
     */
    static ProviderReading of(ProviderAnswer answer, ProviderOutcome outcome, List<ProviderLimit> limits,
            Optional<String> quotaId, Optional<Duration> providerHint, OptionalLong tokensUsed) {
        List<ProviderLimit> sorted = limits.stream().sorted(Comparator.comparing(ProviderLimit::kind)).toList();
        ProviderReport report = new ProviderReport(quotaId.filter(ProviderReport::isQuotaId), sorted);
        return switch (outcome) {
            case OK -> new ProviderReading(outcome, false, Optional.empty(), tokensUsed, report);
            case RATE_LIMITED -> ProviderReading.rateLimited(answer.retryWait(providerHint, sorted).orElse(null), report);
            case AUTH_FAILED -> ProviderReading.authFailed(report);
            case ERROR -> ProviderReading.error(answer.isTransientStatus(), report);
        };
    }
}
