package io.quotahub.chaos.nemesis;

/**
 * The faults the nemesis injects. {@link #gapBoundMillis()} is the longest failover gap allowed
 * while the fault is in force (0: no bound, reported only).
 */
public enum FaultKind {
    /** {@code kill -9} of a hub; healed by starting it again. */
    KILL_HUB("kill -9 hub", 1000),
    /** SIGSTOP of a hub; healed by SIGCONT. */
    PAUSE_HUB("SIGSTOP hub", 3000),
    /** {@code kill -9} of a machine's nats-server; healed by starting it again (same store). */
    KILL_NATS("kill -9 nats-server", 1000),
    /** Clean split of the leafnode link (connections closed, new ones refused); healed by reopening it. */
    SPLIT_CUT("split (clean cut)", 1000),
    /** Silent split: the link's connections stay open and drop every byte; healed by reopening it. */
    SPLIT_BLACKHOLE("split (black hole)", 3000),
    /** Both hubs killed at once and started again: an outage, no failover possible (not bounded). */
    RESTART_BOTH("restart both hubs", 0),
    /** Agents stop without settling the leases they hold (the hubs reclaim them). */
    AGENT_CRASH("agents crash holding leases", 1000),
    /** A hub restarted with its wall clock a few seconds off (libfaketime); healed by a restart with a true clock. */
    CLOCK_SKEW("hub clock skewed", 0);

    private final String label;
    private final long gapBoundMillis;

    FaultKind(String label, long gapBoundMillis) {
        this.label = label;
        this.gapBoundMillis = gapBoundMillis;
    }

    public String label() {
        return label;
    }

    public long gapBoundMillis() {
        return gapBoundMillis;
    }

    /**
     * Whether a hub loses sight of its peer's ledger while the fault lasts (the peer's nats-server
     * down, or the link split): it can then neither fence the peer nor take its budget over, so it
     * serves from its own share of each limit until the fault heals, by design.
     */
    public boolean hidesAPeersLedger() {
        return this == KILL_NATS || this == SPLIT_CUT || this == SPLIT_BLACKHOLE;
    }

    /** Whether the fault is about one machine (then it needs a side). */
    public boolean sided() {
        return this == KILL_HUB || this == PAUSE_HUB || this == KILL_NATS || this == CLOCK_SKEW;
    }
}
