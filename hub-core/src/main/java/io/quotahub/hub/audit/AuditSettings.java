package io.quotahub.hub.audit;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import io.quotahub.hub.config.ConfigException;

import java.time.Duration;

/**
 * Settings under {@code quotahub.audit}.
 *
 * @param maxAge how long the audit stream keeps an admin action (the server drops older ones; the
 *               ledger keeps every one for good)
 */
@ConfigurationProperties("quotahub.audit")
public record AuditSettings(@Bindable(defaultValue = "90d") Duration maxAge) {

    public AuditSettings {
        if (maxAge == null || maxAge.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new ConfigException("quotahub.audit.max-age must be at least 1m, was " + maxAge);
        }
    }
}
