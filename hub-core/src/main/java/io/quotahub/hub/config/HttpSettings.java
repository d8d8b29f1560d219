package io.quotahub.hub.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;

import java.time.Duration;

/**
 * The HTTP API's own settings under {@code quotahub.http}.
 *
 * @param maxWait the longest an acquire may wait on the hub for room ({@code maxWaitMs}); a request
 *                asking for more waits this long and its answer's notice says so. 0 turns waiting off
 */
@ConfigurationProperties("quotahub.http")
public record HttpSettings(@Bindable(defaultValue = "30s") Duration maxWait) {

    /** The bound of {@link #maxWait}: an HTTP call held longer than this is past most clients' timeouts. */
    static final Duration MAX_MAX_WAIT = Duration.ofMinutes(5);

    public HttpSettings {
        if (maxWait == null || maxWait.isNegative() || maxWait.compareTo(MAX_MAX_WAIT) > 0) {
            throw new ConfigException("quotahub.http.max-wait must be between 0s and " + MAX_MAX_WAIT.toMinutes()
                    + "m, was " + maxWait);
        }
    }
}
