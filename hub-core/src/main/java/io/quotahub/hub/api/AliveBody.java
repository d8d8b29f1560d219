package io.quotahub.hub.api;

import io.micronaut.serde.annotation.Serdeable;

/**
 * 200 answer of {@code POST /api/v1/agents/{agentId}/heartbeat}.
 *
 * @param agentId  the agent, as in the path
 * @param alive    true when the hub now counts the agent alive; false when its agent registry is
 *                 full and ignored the heartbeat of this new agent (its leases then only expire)
 * @param held     how many of the heartbeat's leases the hub counts as held by the agent: open
 *                 leases of this agent proven with the right secret (now or in an earlier heartbeat)
 * @param ignored  how many it ignored (unknown, settled or expired, another agent's, wrong secret)
 */
@Serdeable
public record AliveBody(String agentId, boolean alive, int held, int ignored) {
}
