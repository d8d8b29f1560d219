package io.quotahub.hub.replication;

import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.Priority;
import io.quotahub.hub.service.AcquireCommand;
import io.quotahub.hub.service.AcquireOutcome;
import io.quotahub.hub.service.SettleCommand;
import io.quotahub.hub.service.SettleOutcome;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Agents on both machines, behaving as the SDK does: ask the local hub first (NATS prefers it),
 * the other hub when the local one has no responders, is fenced or unavailable, or timed out (a
 * hung hub: retried on the other hub's direct subject with the same request id). A granted agent
 * calls the provider at a random time, then settles at a later random time (some agents die holding
 * a lease: it expires). Demand per machine is set by the simulation and shifts over time.
 */
final class SimWorkload {

    static final long REPLY_TIMEOUT_MS = 1000;
    static final long MAX_WAIT_MS = 3000;

    enum Phase { ACQUIRE, AWAIT_REPLY, HOLD, SETTLE, DONE }

    /** One acquire → provider call → settle of one agent. */
    final class Call {
        final int n;
        final String side;
        final String agentId;
        final long tokens;
        final long startedAt;
        String requestId;
        int attempt;
        Phase phase = Phase.ACQUIRE;
        long wakeAt;
        String avoid;
        String awaiting;
        LeaseRecord lease;
        String leaseSecret = "";
        boolean dies;
        boolean calledProvider;
        long providerAt;
        long settleAt;
        long used;
        Outcome outcome;
        /** A block asked for (0: one call); of a granted block, the calls left to make and made. */
        int blockCalls;
        int callsLeft;
        int callsMade;

        Call(int n, String side, long now) {
            this.n = n;
            this.side = side;
            this.agentId = side + "-agent-" + sim.rnd.nextInt(AGENTS_PER_SIDE);
            this.tokens = 20 + sim.rnd.nextInt(200);
            this.startedAt = now;
            this.requestId = newRequestId();
            this.wakeAt = now;
            this.blockCalls = sim.blocks && sim.rnd.nextInt(4) != 0 ? 1 + sim.rnd.nextInt(12) : 0;
        }

        private String newRequestId() {
            return side + "-r" + n + "-" + attempt;
        }

        @Override
        public String toString() {
            return "call " + n + " of " + agentId;
        }
    }

    /** A call that reached the provider: what the provider counts, when. */
    record ProviderCall(String pool, String keyId, long at, long tokens, String leaseId) {
    }

    private static final int AGENTS_PER_SIDE = 4;

    private final Simulation sim;
    private final Map<String, Double> rates = new HashMap<>();
    private final List<Call> calls = new ArrayList<>();
    private final List<ProviderCall> providerCalls = new ArrayList<>();
    private int count;
    int granted;
    int refused;
    int failed;
    int orphaned;

    SimWorkload(Simulation sim) {
        this.sim = sim;
        rates.put(Simulation.MAIN, 0.0);
        rates.put(Simulation.EDGE, 0.0);
    }

    /** Acquires per second started by the agents of one machine. */
    void rate(String side, double perSecond) {
        rates.put(side, perSecond);
        sim.trace.log("load", "%s agents now ask %.1f/s", side, perSecond);
    }

    double rate(String side) {
        return rates.get(side);
    }

    List<ProviderCall> providerCalls() {
        return providerCalls;
    }

    /** Leases agents hold now (granted, not settled, not expired by their own reckoning). */
    List<Call> holding() {
        List<Call> out = new ArrayList<>();
        for (Call c : calls) {
            if (c.lease != null && (c.phase == Phase.HOLD || c.phase == Phase.SETTLE)) {
                out.add(c);
            }
        }
        return out;
    }

    boolean idle() {
        return calls.isEmpty();
    }

    void step(long now) {
        for (String side : List.of(Simulation.MAIN, Simulation.EDGE)) {
            if (sim.net.serverDown(side)) {
                continue; // the agents' machine is down with it
            }
            double expected = rates.get(side) * Simulation.STEP_MS / 1000.0;
            int n = (int) expected + (sim.rnd.nextDouble() < expected - (int) expected ? 1 : 0);
            for (int i = 0; i < n; i++) {
                calls.add(new Call(count++, side, now));
            }
        }
        for (int i = 0; i < calls.size(); i++) {
            Call c = calls.get(i);
            if (c.phase != Phase.DONE && c.wakeAt <= now) {
                act(c, now);
            }
        }
        calls.removeIf(c -> c.phase == Phase.DONE);
    }

    private void act(Call c, long now) {
        switch (c.phase) {
            case ACQUIRE -> acquire(c, now);
            case AWAIT_REPLY -> { // timed out: the hub is hung, or the reply was lost
                c.avoid = c.awaiting;
                c.awaiting = null;
                c.phase = Phase.ACQUIRE;
                acquire(c, now);
            }
            case HOLD -> hold(c, now);
            case SETTLE -> settle(c, now);
            default -> { }
        }
    }

    private SimHub route(Call c, boolean hungIsAnOption) {
        SimHub local = sim.hub(c.side);
        SimHub other = sim.hub(sim.peerOf(c.side));
        for (SimHub h : List.of(local, other)) {
            boolean answers = h.state == SimHub.State.RUNNING || hungIsAnOption && h.state == SimHub.State.HUNG;
            if (answers && !h.id.equals(c.avoid) && sim.net.reachable(c.side, h.id)) {
                return h;
            }
        }
        return null;
    }

    private void acquire(Call c, long now) {
        if (now >= c.startedAt + MAX_WAIT_MS) {
            c.phase = Phase.DONE;
            failed++;
            return;
        }
        SimHub hub = route(c, true);
        if (hub == null) {
            c.avoid = null; // try everything again a little later
            c.wakeAt = now + Simulation.PERIOD;
            return;
        }
        c.attempt++;
        AcquireCommand cmd = new AcquireCommand(c.requestId, c.agentId, Simulation.POOL, c.tokens, Priority.NORMAL,
                Instant.ofEpochMilli(c.startedAt + MAX_WAIT_MS), "", true, null, c.blockCalls);
        AcquireOutcome out = hub.acquire(cmd, c, c.attempt);
        if (out == null || out instanceof AcquireOutcome.Leased && sim.rnd.nextInt(100) == 0) {
            c.phase = Phase.AWAIT_REPLY; // hung hub, or the reply got lost: the SDK times out
            c.awaiting = hub.id;
            c.wakeAt = now + REPLY_TIMEOUT_MS;
            if (out != null) {
                sim.trace.log("load", "%s: reply of %s lost (%s)", c, hub.id, ((AcquireOutcome.Leased) out).lease().leaseId());
            }
            return;
        }
        answer(c, out, hub, now);
    }

    /** The answer of a hub that was hung when asked: too late if the agent moved on. */
    void lateAnswer(Call c, int attempt, AcquireOutcome out, SimHub hub) {
        long now = sim.clock.millis();
        if (c.phase == Phase.AWAIT_REPLY && c.attempt == attempt) {
            answer(c, out, hub, now);
        } else if (out instanceof AcquireOutcome.Leased g) {
            orphaned++;
            sim.trace.log("load", "%s: late grant %s by %s ignored (the agent moved on)", c, g.lease().leaseId(), hub.id);
        }
    }

    private void answer(Call c, AcquireOutcome out, SimHub hub, long now) {
        c.awaiting = null;
        if (out instanceof AcquireOutcome.Leased g) {
            LeaseRecord lease = g.lease();
            sim.checker.leaseReceived(lease, hub.id);
            granted++;
            c.lease = lease;
            c.leaseSecret = g.leaseSecret() == null ? "" : g.leaseSecret().reveal();
            c.phase = Phase.HOLD;
            c.dies = sim.rnd.nextInt(20) == 0;
            long ttlLeft = lease.expiresAt().toEpochMilli() - now;
            c.providerAt = now + sim.rnd.nextInt((int) Math.max(0, Math.min(1500, ttlLeft / 2)) + 1);
            c.settleAt = c.providerAt + sim.rnd.nextInt(1000);
            int roll = sim.rnd.nextInt(100);
            c.outcome = roll < 92 ? Outcome.OK : roll < 97 ? Outcome.ERROR : Outcome.RATE_LIMITED;
            c.used = c.outcome == Outcome.OK ? (long) (c.tokens * (0.2 + 0.8 * sim.rnd.nextDouble())) : c.tokens / 4;
            // a block: a random part of its calls (0 to all), one after another from now; a 429 ends it
            c.callsLeft = lease.isBlock() ? sim.rnd.nextInt(lease.calls() + 1) : 1;
            c.callsMade = 0;
            if (lease.isBlock()) {
                c.providerAt = now + sim.rnd.nextInt(200);
                c.settleAt = now + sim.rnd.nextInt((int) Math.max(1, ttlLeft + 500));
            }
            c.wakeAt = c.providerAt;
            sim.trace.log("load", "%s granted %s by %s (key %s, %d tokens)%s", c, lease.leaseId(), hub.id, lease.keyId(),
                    lease.tokens(), c.dies ? ", agent will die" : "");
        } else if (out instanceof AcquireOutcome.Refused r) {
            refused++;
            c.requestId = c.newRequestId();
            long retry = Math.max(Simulation.PERIOD, Math.min(1000, r.refusal().retryAfter().toMillis()));
            c.wakeAt = now + retry;
            c.phase = Phase.ACQUIRE;
        } else if (out instanceof AcquireOutcome.Failed f) {
            switch (f.code()) {
                case FENCED, UNAVAILABLE -> {
                    c.avoid = hub.id;
                    c.requestId = c.newRequestId();
                    c.wakeAt = now + Simulation.STEP_MS;
                    c.phase = Phase.ACQUIRE;
                }
                case DEADLINE_EXCEEDED -> {
                    c.phase = Phase.DONE;
                    failed++;
                }
                default -> throw new AssertionError(hub.id + " answered " + f + " to " + c);
            }
        }
    }

    private void hold(Call c, long now) {
        if (c.dies) {
            c.phase = Phase.DONE; // never calls, never settles: the lease expires
            return;
        }
        if (c.lease.isBlock()) {
            // the SDK stops using a block before its expiry, whatever is left of it
            if (c.callsLeft > 0 && now < c.lease.expiresAt().toEpochMilli() && now < c.settleAt) {
                providerCalls.add(new ProviderCall(c.lease.pool(), c.lease.keyId(), now, c.used, c.lease.leaseId()));
                c.callsMade++;
                c.callsLeft = c.outcome == Outcome.RATE_LIMITED && sim.rnd.nextInt(3) == 0 ? 0 : c.callsLeft - 1;
                c.wakeAt = now + sim.rnd.nextInt(250);
                return;
            }
            c.phase = Phase.SETTLE;
            settle(c, now);
            return;
        }
        if (!c.calledProvider) {
            c.calledProvider = true;
            if (now < c.lease.expiresAt().toEpochMilli()) {
                providerCalls.add(new ProviderCall(c.lease.pool(), c.lease.keyId(), now, c.used, c.lease.leaseId()));
            }
            c.wakeAt = Math.max(now, c.settleAt);
            return;
        }
        c.phase = Phase.SETTLE;
        settle(c, now);
    }

    private void settle(Call c, long now) {
        if (now >= c.lease.expiresAt().toEpochMilli()) {
            c.phase = Phase.DONE; // too late: the hub expires it
            return;
        }
        SimHub hub = route(c, false);
        if (hub == null) {
            c.avoid = null;
            c.wakeAt = now + Simulation.PERIOD;
            return;
        }
        boolean block = c.lease.isBlock();
        long tokensUsed = block ? c.used * c.callsMade : c.used;
        Outcome outcome = block && c.callsMade == 0 ? Outcome.OK : c.outcome;
        SettleCommand cmd = new SettleCommand(c.agentId + "-s" + c.n, c.lease.leaseId(), c.agentId, tokensUsed, outcome,
                outcome == Outcome.RATE_LIMITED ? Duration.ofMillis(300) : Duration.ZERO, null, null, c.leaseSecret,
                "", null, 0, block ? c.callsMade : 0);
        SettleOutcome out = hub.settle(cmd);
        if (out instanceof SettleOutcome.Settled) {
            c.phase = Phase.DONE;
            sim.trace.log("load", "%s settled %s at %s (%d tokens, %s)", c, c.lease.leaseId(), hub.id, c.used, c.outcome);
        } else if (out instanceof SettleOutcome.Failed f) {
            switch (f.code()) {
                case UNKNOWN_LEASE -> { // this hub has not folded the grant yet: the other may have
                    c.avoid = hub.id;
                    c.wakeAt = now + Simulation.STEP_MS;
                }
                case UNAVAILABLE -> {
                    c.avoid = hub.id;
                    c.wakeAt = now + Simulation.PERIOD;
                }
                default -> throw new AssertionError(hub.id + " answered " + f + " to the settle of " + c);
            }
        }
    }
}
