package io.quotahub.engine;

import java.util.Objects;

/** What an agent asks for: one call on a key of {@code pool}, reserving {@code tokens}. */
public record AcquireRequest(String pool, long tokens, Priority priority, String agentId, String requestId) {

    public AcquireRequest {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(requestId, "requestId");
    }
}
