package io.quotahub.engine;

import java.time.Instant;

/**
 * Permission for one provider call on {@code keyId}. It occupies capacity from {@code grantedAt}
 * until it is settled (or expires), and then sits in the windows at its settle time.
 *
 * @param hubId the hub whose budget admitted it (and whose ledger holds it)
 */
public record Lease(String leaseId, String hubId, String pool, String keyId, long tokens, Priority priority,
                    String agentId, String requestId, Instant grantedAt, Instant expiresAt) {
}
