package io.quotahub.hub.api;

import io.micronaut.serde.annotation.Serdeable;

/**
 * @param leaseId the plain lease id (without its secret)
 * @param settled false when the lease had been settled before (a retry changed nothing)
 */
@Serdeable
public record SettledBody(String leaseId, boolean settled) {
}
