package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.util.List;

/**
 * {@code POST /api/v1/agents/{agentId}/heartbeat} body: the leases the agent holds, each as the
 * handle its acquire answered ({@code <lease id>.<lease secret>}).
 */
@Serdeable
public record HeartbeatBody(@Nullable List<String> leases) {
}
