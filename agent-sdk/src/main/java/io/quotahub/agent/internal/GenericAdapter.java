package io.quotahub.agent.internal;

import io.quotahub.agent.provider.ProviderAdapter;
import io.quotahub.agent.provider.ProviderReading;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Any HTTP service: the status ({@code 2xx} OK, 401/403 auth failed, 429 rate limited, 5xx
 * transient) and {@code retry-after-ms} / {@code Retry-After}. Reads no body.
 */
public final class GenericAdapter implements ProviderAdapter {

    @Override
    public ProviderReading read(int status, Map<String, List<String>> headers, String body, Instant receivedAt) {
        ProviderAnswer answer = new ProviderAnswer(status, headers, body, receivedAt);
        return ProviderReadings.of(answer, answer.outcomeOfStatus(), List.of(), Optional.empty(), Optional.empty(),
                OptionalLong.empty());
    }
}
