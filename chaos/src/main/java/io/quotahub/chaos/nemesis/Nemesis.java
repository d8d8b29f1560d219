package io.quotahub.chaos.nemesis;

import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.suite.Clock;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Injects and heals faults on a {@link ChaosCluster}, writing each to the timeline. Only one
 * fault is in force at a time (a fault's heal restores what its inject broke).
 */
public final class Nemesis {

    /** How far off a skewed hub's wall clock is. */
    public static final long CLOCK_SKEW_MILLIS = 3_000;

    private final ChaosCluster cluster;
    private final Consumer<String> log;
    private final List<Fault> faults = new CopyOnWriteArrayList<>();

    public Nemesis(ChaosCluster cluster, Consumer<String> log) {
        this.cluster = cluster;
        this.log = log;
    }

    /** Every fault injected so far, in order. */
    public List<Fault> faults() {
        return List.copyOf(faults);
    }

    /** Whether a fault can be injected on this cluster; null if it can, else why not. */
    public String unsupported(FaultKind kind) {
        return kind == FaultKind.CLOCK_SKEW ? cluster.clockSkewUnsupportedReason() : null;
    }

    public Fault inject(FaultKind kind, String side) {
        if (kind.sided() && side == null) {
            throw new IllegalArgumentException(kind + " needs a side");
        }
        log.accept("nemesis: inject " + kind.label() + (side == null ? "" : " on " + side));
        long at = Clock.now();
        switch (kind) {
            case KILL_HUB -> cluster.killHub(side);
            case PAUSE_HUB -> cluster.pauseHub(side);
            case KILL_NATS -> cluster.killNats(side);
            case SPLIT_CUT -> cluster.cutLink();
            case SPLIT_BLACKHOLE -> cluster.blackholeLink();
            case RESTART_BOTH -> {
                cluster.killHub("main");
                cluster.killHub("edge");
            }
            case CLOCK_SKEW -> cluster.restartHubWithClockOffset(side, CLOCK_SKEW_MILLIS);
            case AGENT_CRASH -> {
                // the scenario crashes its agents; the nemesis only records the fault
            }
        }
        Fault f = new Fault(kind, side, at);
        faults.add(f);
        return f;
    }

    public void heal(Fault f) {
        log.accept("nemesis: heal " + f.kind().label() + (f.side() == null ? "" : " on " + f.side()));
        f.healing(Clock.now());
        switch (f.kind()) {
            case KILL_HUB -> cluster.restartHub(f.side());
            case PAUSE_HUB -> cluster.resumeHub(f.side());
            case KILL_NATS -> cluster.startNats(f.side());
            case SPLIT_CUT, SPLIT_BLACKHOLE -> cluster.healLink();
            case RESTART_BOTH -> {
                cluster.restartHub("main");
                cluster.restartHub("edge");
            }
            case CLOCK_SKEW -> cluster.restartHubWithClockOffset(f.side(), 0);
            case AGENT_CRASH -> {
                // nothing to undo: the hubs reclaim the leases themselves
            }
        }
        f.healed(Clock.now());
    }
}
