package io.quotahub.hub.service;

import io.quotahub.engine.Health;
import io.quotahub.engine.Lease;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Agents known from their heartbeats. An agent silent for {@code deadAfter} is DEAD: the leases it
 * last reported are reclaimed (settled as expired now) instead of blocking capacity until their
 * time-to-live runs out.
 */
public final class AgentRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(AgentRegistry.class);

    private final Clock clock;
    private final Duration deadAfter;
    private final Map<String, Agent> agents = new ConcurrentHashMap<>();

    private record Agent(Instant lastSeen, List<String> leaseIds) {
    }

    public AgentRegistry(Clock clock, Duration deadAfter) {
        this.clock = clock;
        this.deadAfter = deadAfter;
    }

    public void heartbeat(String agentId, List<String> leaseIds) {
        agents.put(agentId, new Agent(clock.instant(), leaseIds));
    }

    /** HEALTHY within a third of deadAfter, DEGRADED until deadAfter, then DEAD. */
    public Health health(String agentId) {
        Agent agent = agents.get(agentId);
        if (agent == null) {
            return Health.DEAD;
        }
        Duration silent = Duration.between(agent.lastSeen, clock.instant());
        if (silent.compareTo(deadAfter) >= 0) {
            return Health.DEAD;
        }
        return silent.compareTo(deadAfter.dividedBy(3)) < 0 ? Health.HEALTHY : Health.DEGRADED;
    }

    /** Agent id → health, sorted by id. */
    public Map<String, Health> all() {
        Map<String, Health> view = new TreeMap<>();
        agents.keySet().forEach(id -> view.put(id, health(id)));
        return view;
    }

    /** Reclaims the open leases of dead agents and forgets them. */
    public void reclaimDead(QuotaEngine engine, Ledger ledger, String hubId) {
        for (var e : agents.entrySet()) {
            if (health(e.getKey()) != Health.DEAD) {
                continue;
            }
            agents.remove(e.getKey());
            for (String leaseId : e.getValue().leaseIds) {
                engine.openLease(leaseId).filter(l -> l.hubId().equals(hubId)).ifPresent(lease -> reclaim(engine, ledger, hubId, lease));
            }
        }
    }

    private void reclaim(QuotaEngine engine, Ledger ledger, String hubId, Lease lease) {
        Settlement expired = new Settlement(lease.leaseId(), lease.tokens(), Outcome.EXPIRED, Duration.ZERO, clock.instant());
        ledger.append(LedgerEvents.settle(hubId, expired)).thenRun(() -> engine.settle(expired));
        LOG.info("agent {} is dead: reclaimed its lease {} of {}/{}", lease.agentId(), lease.leaseId(), lease.pool(), lease.keyId());
    }
}
