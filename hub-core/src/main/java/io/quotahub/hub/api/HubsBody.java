package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * What {@code GET /api/v1/hubs} answers.
 *
 * @param hubId       this hub
 * @param ready       whether this hub serves acquires now
 * @param peerHubId   the other hub's id ({@code quotahub.peer-id}), left out for a hub alone
 * @param peerHttpUrl the other hub's HTTP API ({@code quotahub.peer-http-url}), left out when not configured
 */
@Serdeable
public record HubsBody(String hubId, boolean ready, @Nullable String peerHubId, @Nullable String peerHttpUrl) {
}
