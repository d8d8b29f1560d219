package io.quotahub.hub.service;

import io.quotahub.hub.metrics.IgnoredProof;
import io.quotahub.engine.Health;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.hub.metrics.GuardMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Agents known from their heartbeats. An agent silent for {@code deadAfter} is DEAD: the leases it
 * last proved to hold are reclaimed (settled as expired now) instead of blocking capacity until
 * their time-to-live runs out.
 *
 * <p>A heartbeat names the leases its agent holds, each with the secret its grant carried. Only a
 * proof naming an open lease of that very agent with the right secret is kept: a forged heartbeat
 * naming other agents' leases gets nothing of theirs reclaimed, and an agent's entry never holds
 * more than its own open leases. The registry keeps at most {@code maxAgents} agents; heartbeats of
 * new agents beyond that are ignored (their leases then simply expire) and counted.
 */
public final class AgentRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(AgentRegistry.class);

    private final Clock clock;
    private final Duration deadAfter;
    private final QuotaEngine engine;
    private final int maxAgents;
    private final GuardMetrics metrics;
    private final Map<String, Agent> agents = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();

    /** A lease named in a heartbeat, with the secret presented for it. */
    public record Proof(String leaseId, String leaseSecret) {

        @Override
        public String toString() {
            return "Proof[" + leaseId + "]";
        }
    }

    private record Agent(Instant lastSeen, List<String> leaseIds) {
    }

    public AgentRegistry(Clock clock, Duration deadAfter, QuotaEngine engine, int maxAgents, GuardMetrics metrics) {
        if (maxAgents < 1) {
            throw new IllegalArgumentException("maxAgents must be >= 1, was " + maxAgents);
        }
        this.clock = clock;
        this.deadAfter = deadAfter;
        this.engine = engine;
        this.maxAgents = maxAgents;
        this.metrics = metrics;
    }

    /**
     * Records a heartbeat: the agent is alive, and holds the leases among {@code proofs} it proved,
     * besides those it proved before that are still open (an agent holding many leases proves them
     * over several heartbeat messages).
     *
     * @param deprecatedLeaseIds how many ids the heartbeat listed without secrets (ignored, counted)
     * @return false when the agent is new and the registry is full (the heartbeat was ignored)
     */
    public boolean heartbeat(String agentId, List<Proof> proofs, int deprecatedLeaseIds) {
        metrics.proofsIgnored(IgnoredProof.DEPRECATED_LEASE_ID, deprecatedLeaseIds);
        List<String> proven = verified(agentId, proofs);
        Instant now = clock.instant();
        if (agents.computeIfPresent(agentId, (id, known) -> new Agent(now, stillHeld(known.leaseIds, proven))) != null) {
            return true;
        }
        Agent agent = new Agent(now, proven);
        if (size.incrementAndGet() > maxAgents) {
            size.decrementAndGet();
            metrics.agentRegistryRefused();
            return false;
        }
        if (agents.putIfAbsent(agentId, agent) != null) {
            size.decrementAndGet();
            agents.put(agentId, agent);
        }
        return true;
    }

    /** The ids among {@code proofs} of open leases that {@code agentId} holds and proved with their secret. */
    private List<String> verified(String agentId, List<Proof> proofs) {
        if (proofs.isEmpty()) {
            return List.of();
        }
        Set<String> held = new LinkedHashSet<>();
        EnumMap<IgnoredProof, Integer> ignored = new EnumMap<>(IgnoredProof.class);
        for (Proof p : proofs) {
            IgnoredProof why = check(agentId, p);
            if (why == null) {
                held.add(p.leaseId());
            } else {
                ignored.merge(why, 1, Integer::sum);
            }
        }
        ignored.forEach(metrics::proofsIgnored);
        return List.copyOf(held);
    }

    /** {@code proven} and those of {@code before} still open: never more than the agent's open leases. */
    private List<String> stillHeld(List<String> before, List<String> proven) {
        if (before.isEmpty()) {
            return proven;
        }
        Set<String> held = new LinkedHashSet<>(proven);
        for (String id : before) {
            if (engine.openLease(id).isPresent()) {
                held.add(id);
            }
        }
        return List.copyOf(held);
    }

    /** @return null when the proof holds, else why it is ignored */
    private IgnoredProof check(String agentId, Proof p) {
        if (p.leaseId() == null || p.leaseId().isEmpty() || p.leaseId().length() > LeaseSecret.MAX_TEXT_LENGTH * 4) {
            return IgnoredProof.UNKNOWN_LEASE; // no lease id is that long: no lookup needed
        }
        Optional<LeaseRecord> open = engine.openLease(p.leaseId());
        if (open.isEmpty()) {
            return IgnoredProof.UNKNOWN_LEASE;
        }
        LeaseRecord lease = open.get();
        if (!agentId.equals(lease.agentId())) {
            return IgnoredProof.OTHER_AGENT;
        }
        if (lease.holderDigest().isEmpty()) {
            return IgnoredProof.NO_DIGEST; // nothing to prove it with: it expires at its time-to-live
        }
        return LeaseSecret.matches(p.leaseSecret(), lease.holderDigest()) ? null : IgnoredProof.WRONG_SECRET;
    }

    /** HEALTHY within a third of deadAfter, DEGRADED until deadAfter, then DEAD. */
    public Health health(String agentId) {
        Agent agent = agents.get(agentId);
        return agent == null ? Health.DEAD : health(agent);
    }

    private Health health(Agent agent) {
        Duration silent = Duration.between(agent.lastSeen, clock.instant());
        if (silent.compareTo(deadAfter) >= 0) {
            return Health.DEAD;
        }
        return silent.compareTo(deadAfter.dividedBy(3)) < 0 ? Health.HEALTHY : Health.DEGRADED;
    }

    /** Agent id → health, sorted by id. */
    public Map<String, Health> all() {
        Map<String, Health> view = new TreeMap<>();
        agents.forEach((id, agent) -> view.put(id, health(agent)));
        return view;
    }

    /** Agents in the registry now (never above {@link #maxAgents()}). */
    public int size() {
        return size.get();
    }

    public int maxAgents() {
        return maxAgents;
    }

    /** The leases the agent last proved to hold (empty for an unknown agent). */
    public List<String> provenLeases(String agentId) {
        Agent agent = agents.get(agentId);
        return agent == null ? List.of() : agent.leaseIds;
    }

    /** Reclaims the proven open leases of dead agents and forgets the agents. */
    public void reclaimDead(Ledger ledger, String hubId) {
        for (var e : agents.entrySet()) {
            if (health(e.getValue()) != Health.DEAD || !agents.remove(e.getKey(), e.getValue())) {
                continue;
            }
            size.decrementAndGet();
            for (String leaseId : e.getValue().leaseIds) {
                engine.openLease(leaseId)
                        .filter(l -> l.hubId().equals(hubId) && e.getKey().equals(l.agentId()))
                        .ifPresent(lease -> reclaim(ledger, hubId, lease));
            }
        }
    }

    private void reclaim(Ledger ledger, String hubId, LeaseRecord lease) {
        Settlement expired = new Settlement(lease.leaseId(), lease.tokens(), Outcome.EXPIRED, Duration.ZERO, clock.instant());
        ledger.append(LedgerEvents.settle(hubId, expired)).thenRun(() -> engine.settle(expired));
        LOG.info("agent {} is dead: reclaimed its lease {} of {}/{} (granted to {})", lease.agentId(), lease.leaseId(), lease.pool(),
                lease.keyId(), Principals.shown(lease.principal(), lease.agentId()));
    }
}
