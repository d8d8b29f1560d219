package io.quotahub.hub.replication;

import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.BlockPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.view.BudgetView;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.Secret;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.testing.ManualClock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

/**
 * A deterministic simulation of the two-hub protocol: two {@link SimHub}s running the real engine,
 * fold, {@link Replication} and acquire/settle services over in-memory ledgers, a {@link SimNetwork},
 * agents ({@link SimWorkload}) and faults, all driven by one seeded {@link Random} and one
 * {@link ManualClock} advanced in steps of {@value #STEP_MS} ms. The {@link SimChecker} checks the
 * invariants after every step; a broken one throws {@link Failure} naming the seed and the time.
 */
final class Simulation {

    static final String MAIN = "main";
    static final String EDGE = "edge";
    static final String POOL = "chat";
    static final long STEP_MS = 50;
    static final long PERIOD = 250;
    /** How long the hubs must agree without a break to have converged. */
    static final long STABLE_MS = 2000;
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    /**
     * Which faults a random run injects, and how often. The last three widen races of the protocol
     * code that real hardware keeps narrow (each found a bug: see {@link ReplicationRegressionTest}).
     *
     * @param concurrentTakeovers          the fenced hub's tick may run while the fence is being acked
     * @param faultsWhileTakeoverPending the window between a hub's fence and its Takeover stays open: a ledger
     *                                   outage may fail the Takeover's append, and the hub may die right
     *                                   after its fence was acked, or crash, hang or lose its machine
     *                                   while its fence has no Takeover in its ledger yet
     * @param slowFenceNotice              a found fence is told to the protocol one step late
     */
    record Faults(double perSecond, boolean splits, boolean crashes, boolean hangs, boolean machinesDown,
                  boolean ledgerOutages, boolean concurrentTakeovers, boolean faultsWhileTakeoverPending,
                  boolean slowFenceNotice, boolean plannedStops) {

        /** Every fault the protocol is meant to survive. */
        static Faults all() {
            return new Faults(0.5, true, true, true, true, true, true, true, true, false);
        }

        static Faults none() {
            return new Faults(0, false, false, false, false, false, false, false, false, false);
        }

        Faults withConcurrentTakeovers() {
            return new Faults(perSecond, splits, crashes, hangs, machinesDown, ledgerOutages, true,
                    faultsWhileTakeoverPending, slowFenceNotice, plannedStops);
        }

        Faults withFaultsWhileTakeoverPending() {
            return new Faults(perSecond, splits, crashes, hangs, machinesDown, ledgerOutages, concurrentTakeovers, true,
                    slowFenceNotice, plannedStops);
        }

        Faults withSlowFenceNotice() {
            return new Faults(perSecond, splits, crashes, hangs, machinesDown, ledgerOutages, concurrentTakeovers,
                    faultsWhileTakeoverPending, true, plannedStops);
        }

        /** Adds planned stops (a hand-over, then a restart) to the mix; off in {@link #all()} so its seeds replay as before. */
        Faults withPlannedStops() {
            return new Faults(perSecond, splits, crashes, hangs, machinesDown, ledgerOutages, concurrentTakeovers,
                    faultsWhileTakeoverPending, slowFenceNotice, true);
        }
    }

    /** An invariant broke: the message names the seed to replay. */
    static final class Failure extends AssertionError {
        final long seed;
        String trace = "";

        Failure(long seed, String message) {
            super(message);
            this.seed = seed;
        }
    }

    /** What a run did, for the summary and to show the faults really happened. */
    static final class Stats {
        int splits;
        int crashes;
        int hangs;
        int machinesDown;
        int outages;
        int fences;
        int falseTakeovers;
        int takeovers;
        int rejoins;
        int plannedStops;
        int handOvers;
        int reloads;
        int grants;
        int refusals;
        int orphans;
        int steps;
        long convergeMillis;

        void add(Stats o) {
            splits += o.splits;
            crashes += o.crashes;
            hangs += o.hangs;
            machinesDown += o.machinesDown;
            outages += o.outages;
            fences += o.fences;
            falseTakeovers += o.falseTakeovers;
            takeovers += o.takeovers;
            rejoins += o.rejoins;
            plannedStops += o.plannedStops;
            handOvers += o.handOvers;
            reloads += o.reloads;
            grants += o.grants;
            refusals += o.refusals;
            orphans += o.orphans;
            steps += o.steps;
            convergeMillis = Math.max(convergeMillis, o.convergeMillis);
        }

        @Override
        public String toString() {
            return String.format("%d steps, %d grants, %d refusals, %d late grants ignored; faults: %d splits, %d crashes, "
                            + "%d hangs, %d machines down, %d ledger outages; %d fences (%d of a hub that was running), "
                            + "%d takeovers, %d rejoins, %d planned stops (%d hand-overs stored), %d reloads; slowest convergence %d ms",
                    steps, grants, refusals, orphans, splits, crashes, hangs, machinesDown, outages, fences, falseTakeovers, takeovers,
                    rejoins, plannedStops, handOvers, reloads, convergeMillis);
        }
    }

    private record Action(long at, long order, String what, Runnable run) {
    }

    final long seed;
    final Random rnd;
    final ManualClock clock = new ManualClock(START);
    final SimTrace trace;
    final SimNetwork net;
    final PoolsConfig pools;
    /** Whether agents ask for blocks (and the pool grants them). */
    final boolean blocks;
    final ReplicationSettings settings = ReplicationSettings.ofDefaults();
    final Duration leaseTtl = Duration.ofSeconds(4);
    final Duration settleMargin = Duration.ofMillis(250);
    final SimWorkload workload;
    final SimChecker checker;
    final Stats stats = new Stats();
    private final SimHub main;
    private final SimHub edge;
    private final PriorityQueue<Action> agenda = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    private long actions;
    Faults faults = Faults.none();
    /**
     * Reloads of the pools (off unless {@link #reloads}): both machines' pools files get new
     * capacities (never above the first ones, so the provider-side check keeps its bound) and a
     * running hub reloads; its peer follows when it folds it, and a restarted hub reads its file.
     */
    boolean reloads;
    private java.nio.file.Path poolsDir;
    private int version;
    /** Fail when a hub fences a peer whose process has been running for takeoverAfter: takeover is for death. */
    boolean strictTakeovers = true;
    private boolean inFenceHook;

    /** @param keep trace lines kept (the last ones), 0 for all */
    Simulation(long seed, boolean trace, int keep) {
        this(seed, trace, keep, false);
    }

    /**
     * @param blocks the pool grants blocks (random max-calls and expiry) and most agents ask for them
     *               (docs/architecture.md, "Block leases")
     */
    Simulation(long seed, boolean trace, int keep, boolean blocks) {
        this.seed = seed;
        this.rnd = new Random(seed);
        this.trace = new SimTrace(clock, trace, keep);
        this.blocks = blocks;
        this.pools = blocks ? withBlocks(poolsFor(rnd), rnd) : poolsFor(rnd);
        this.net = new SimNetwork(rnd, SimNetwork.Params.ofDefaults());
        this.main = new SimHub(MAIN, EDGE, this);
        this.edge = new SimHub(EDGE, MAIN, this);
        net.connect(main, edge);
        this.workload = new SimWorkload(this);
        this.checker = new SimChecker(this, pools.pools(), settleMargin.toMillis());
        this.trace.log("sim", "seed %d, pools %s", seed, pools.pools());
    }

    /**
     * One pool of two keys, each with a request and a token limit, and a request limit of the pool:
     * tight enough that the agents hit them all the time.
     */
    private static PoolsConfig withBlocks(PoolsConfig config, Random rnd) {
        BlockPolicy policy = new BlockPolicy(2 + rnd.nextInt(9), Duration.ofMillis(400 + rnd.nextInt(2600)));
        List<PoolSpec> pools = config.pools().stream().map(p -> p.withBlocks(policy)).toList();
        return new PoolsConfig(pools, config.secrets(), config.problems(), config.unusablePools());
    }

    private static PoolsConfig poolsFor(Random rnd) {
        Duration per = Duration.ofSeconds(rnd.nextBoolean() ? 5 : 3);
        long requests = rnd.nextBoolean() ? 20 : 12;
        long tokens = rnd.nextBoolean() ? 500 : 800;
        List<KeySpec> keys = List.of(
                new KeySpec("k1", List.of(LimitSpec.requests(requests, per), LimitSpec.tokens(tokens, per)), 0),
                new KeySpec("k2", List.of(LimitSpec.requests(requests, per), LimitSpec.tokens(tokens, per)), 0));
        PoolSpec pool = new PoolSpec(POOL, keys, List.of(LimitSpec.requests(requests * 3 / 2, per)), 0,
                rnd.nextBoolean() ? Preset.AGGRESSIVE : Preset.PREMIUM);
        return new PoolsConfig(List.of(pool),
                Map.of(new KeyRef(POOL, "k1"), new Secret("sk-sim-key-one-0001"), new KeyRef(POOL, "k2"), new Secret("sk-sim-key-two-0002")),
                List.of(), Set.of());
    }

    // ---- the pools files (reloads) ------------------------------------------------------------

    /** The secrets of the sim's keys, as each machine's environment holds them. */
    static String env(String name) {
        return name.equals("SIM_K1") ? "sk-sim-key-one-0001" : name.equals("SIM_K2") ? "sk-sim-key-two-0002" : null;
    }

    Simulation reloads(boolean on) {
        this.reloads = on;
        checker.allowNegativeBudgets = on; // a lowered limit after transfers (admission reads it as 0)
        return this;
    }

    /** The pools file of a hub's machine (written at the first start of either hub). */
    io.quotahub.hub.config.PoolsFiles poolsFiles(SimHub h) {
        return io.quotahub.hub.config.PoolsFiles.of(reloads ? poolsFile(h).toString() : null);
    }

    private java.nio.file.Path poolsFile(SimHub h) {
        try {
            if (poolsDir == null) {
                poolsDir = java.nio.file.Files.createTempDirectory("qh-sim-pools-");
                poolsDir.toFile().deleteOnExit();
                writePools(pools.pools().get(0), main);
                writePools(pools.pools().get(0), edge);
            }
            return poolsDir.resolve(h.id + ".yml");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What a hub starts with: the sim's pools, or with reloads what its machine's file says now. */
    io.quotahub.hub.config.LivePools poolsOf(SimHub h) {
        if (!reloads) {
            return new io.quotahub.hub.config.LivePools(pools, new io.quotahub.hub.config.pools.PoolsSettings(List.of()));
        }
        var settings = poolsFiles(h).read();
        return new io.quotahub.hub.config.LivePools(new io.quotahub.hub.config.PoolsConfigReader(Simulation::env).read(settings),
                settings);
    }

    private void writePools(PoolSpec p, SimHub h) {
        StringBuilder y = new StringBuilder("quotahub:\n  pools:\n    ").append(p.name()).append(":\n      preset: ")
                .append(p.preset()).append("\n      limits:\n");
        limitsYaml(y, p.limits(), "        ");
        y.append("      keys:\n");
        for (KeySpec k : p.keys()) {
            y.append("        - id: ").append(k.id()).append("\n          secret-env: SIM_").append(k.id().toUpperCase())
                    .append("\n          limits:\n");
            limitsYaml(y, k.limits(), "            ");
        }
        try {
            java.nio.file.Path f = poolsDir.resolve(h.id + ".yml");
            java.nio.file.Files.writeString(f, y.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void limitsYaml(StringBuilder y, List<LimitSpec> limits, String indent) {
        for (LimitSpec l : limits) {
            y.append(indent).append("- { ").append(l.kind() == io.quotahub.engine.LimitKind.TOKENS ? "tokens" : "requests")
                    .append(": ").append(l.capacity()).append(", per: ").append(l.per().toMillis()).append("ms }\n");
        }
    }

    /** A reload: new capacities (a third to all of the first ones) in both files, accepted by a running hub. */
    private void reload() {
        SimHub h = rnd.nextBoolean() ? main : edge;
        if (h.state != SimHub.State.RUNNING) {
            return;
        }
        PoolSpec first = pools.pools().get(0);
        if (accepted == null) {
            accepted = first;
        }
        List<KeySpec> keys = new ArrayList<>();
        for (KeySpec k : first.keys()) {
            keys.add(new KeySpec(k.id(), scaled(k.limits()), k.maxConcurrent()));
        }
        PoolSpec next = new PoolSpec(first.name(), keys, scaled(first.limits()), first.maxConcurrent(), first.preset());
        writePools(next, main);
        writePools(next, edge);
        // as an operator does: a refused reload is tried on the other hub, and the files put back if that fails too
        for (SimHub via : List.of(h, hub(peerOf(h.id)))) {
            if (via.state != SimHub.State.RUNNING) {
                continue;
            }
            try {
                var r = via.process.reloads.reload("sim", Duration.ZERO);
                stats.reloads++;
                accepted = next;
                trace.log(via.id, "RELOAD v%d %s", r.version(), r.changes());
                return;
            } catch (io.quotahub.hub.service.Reloads.Refused e) {
                trace.log(via.id, "reload refused: %s", e.getMessage());
            }
        }
        writePools(accepted, main);
        writePools(accepted, edge);
    }

    /** The pools of the last accepted reload (the first ones before any). */
    private PoolSpec accepted;

    private List<LimitSpec> scaled(List<LimitSpec> limits) {
        List<LimitSpec> out = new ArrayList<>();
        for (LimitSpec l : limits) {
            long c = Math.max(1, Math.round(l.capacity() * (0.34 + rnd.nextDouble() * 0.66)));
            if (l.kind() == io.quotahub.engine.LimitKind.TOKENS) {
                c = Math.max(c, 220); // the agents ask up to 219 tokens: a smaller limit would make their calls invalid
            }
            out.add(new LimitSpec(l.kind(), c, l.per(), l.calendarDayZone()));
        }
        return out;
    }

    // ---- the world -----------------------------------------------------------------------------

    SimHub hub(String id) {
        return MAIN.equals(id) ? main : edge;
    }

    String peerOf(String id) {
        return MAIN.equals(id) ? EDGE : MAIN;
    }

    long now() {
        return clock.millis();
    }

    void fail(String message) {
        throw new Failure(seed, "seed " + seed + " at " + trace.time() + ": " + message
                + "\n  main: " + describe(main) + "\n  edge: " + describe(edge));
    }

    private String describe(SimHub h) {
        if (h.process == null) {
            return h + ", ledger " + h.store.lastSeq();
        }
        return h + ", ledger " + h.store.lastSeq() + ", peer " + h.process.replication.view() + ", budgets "
                + h.process.engine.budgetsOf(h.id) + " / peer's " + h.process.engine.budgetsOf(h.peerId);
    }

    void faults(Faults faults) {
        this.faults = faults;
    }

    // ---- running -------------------------------------------------------------------------------

    void start() {
        main.start(now());
        edge.start(now());
    }

    /**
     * Starts both hubs, each having heard the other's announcement at once, so that a script does not
     * depend on when the first announcements arrive.
     */
    void startIntroduced() {
        start();
        main.receive(new SimNetwork.Announcement(EDGE, true, false));
        edge.receive(new SimNetwork.Announcement(MAIN, true, false));
    }

    void step() {
        clock.advance(Duration.ofMillis(STEP_MS));
        long now = now();
        stats.steps++;
        net.beginStep(now);
        while (!agenda.isEmpty() && agenda.peek().at <= now) {
            Action a = agenda.poll();
            a.run.run();
        }
        net.pump();
        List<SimHub> hubs = rnd.nextBoolean() ? List.of(main, edge) : List.of(edge, main);
        for (SimHub h : hubs) {
            h.step(now);
        }
        workload.step(now);
        checker.afterStep(now);
    }

    void runFor(Duration d) {
        long until = now() + d.toMillis();
        while (now() < until) {
            step();
        }
    }

    void at(long delayMillis, String what, Runnable run) {
        agenda.add(new Action(now() + delayMillis, actions++, what, run));
    }

    /**
     * A random run: shifting load on both sides and random faults for {@code chaos}, then every
     * fault repaired and {@link #converge()}.
     */
    void runRandom(Duration chaos) {
        start();
        long end = now() + chaos.toMillis();
        long nextLoadChange = now();
        while (now() < end) {
            if (now() >= nextLoadChange) {
                shiftLoad();
                nextLoadChange = now() + 2000 + rnd.nextInt(6000);
            }
            if (faults.perSecond > 0 && rnd.nextDouble() < faults.perSecond * STEP_MS / 1000.0) {
                injectFault();
            }
            if (reloads && rnd.nextDouble() < 0.4 * STEP_MS / 1000.0) {
                reload();
            }
            step();
        }
        converge();
    }

    private void shiftLoad() {
        double[] levels = {0, 0, 2, 4, 6, 10, 14};
        switch (rnd.nextInt(4)) {
            case 0 -> { // all on one side
                String busy = rnd.nextBoolean() ? MAIN : EDGE;
                workload.rate(busy, 6 + rnd.nextInt(9));
                workload.rate(peerOf(busy), 0);
            }
            default -> {
                workload.rate(MAIN, levels[rnd.nextInt(levels.length)]);
                workload.rate(EDGE, levels[rnd.nextInt(levels.length)]);
            }
        }
    }

    private void injectFault() {
        List<Runnable> kinds = new ArrayList<>();
        SimHub h = rnd.nextBoolean() ? main : edge;
        boolean mayStop = faults.faultsWhileTakeoverPending || !checker.fenceUnanswered(h.id);
        if (faults.splits && !net.split()) {
            kinds.add(() -> {
                split();
                at(1000 + rnd.nextInt(7000), "heal", this::heal);
            });
        }
        if (faults.crashes && mayStop && h.state != SimHub.State.CRASHED) {
            kinds.add(() -> {
                crash(h);
                scheduleRestart(h);
            });
        }
        if (faults.hangs && mayStop && h.state == SimHub.State.RUNNING) {
            kinds.add(() -> {
                hang(h);
                at(300 + rnd.nextInt(5700), "wake " + h.id, () -> wake(h));
            });
        }
        if (faults.machinesDown && mayStop && !net.serverDown(h.id)) {
            kinds.add(() -> {
                machineDown(h);
                at(1000 + rnd.nextInt(5000), "machine " + h.id + " back", () -> machineUp(h));
            });
        }
        if (faults.plannedStops && mayStop && h.state == SimHub.State.RUNNING && !h.process.hubLedger.stoppedGranting()) {
            kinds.add(() -> {
                stats.plannedStops++;
                beginPlannedStop(h, true);
            });
        }
        if (faults.ledgerOutages && !h.outage) {
            kinds.add(() -> {
                h.outage = true;
                stats.outages++;
                trace.log(h.id, "LEDGER OUTAGE (appends fail)");
                at(100 + rnd.nextInt(1400), "outage over at " + h.id, () -> {
                    h.outage = false;
                    trace.log(h.id, "ledger outage over");
                });
            });
        }
        if (!kinds.isEmpty()) {
            kinds.get(rnd.nextInt(kinds.size())).run();
        }
    }

    void scheduleRestart(SimHub h) {
        at(300 + rnd.nextInt(5700), "restart " + h.id, () -> restart(h));
    }

    // ---- faults ----------------------------------------------------------------------------------

    void split() {
        net.split(true);
        stats.splits++;
        trace.log("net", "SPLIT: the leafnode link is cut");
    }

    void heal() {
        if (net.split()) {
            net.split(false);
            trace.log("net", "HEALED");
        }
    }

    void crash(SimHub h) {
        if (h.state != SimHub.State.CRASHED) {
            stats.crashes++;
            h.crash();
        }
    }

    void restart(SimHub h) {
        if (h.state == SimHub.State.CRASHED && !net.serverDown(h.id)) {
            h.start(now());
        }
    }

    /**
     * A planned stop, step by step as HubRuntime.stopGracefully does it, with the simulation running
     * meanwhile (other faults may strike): stop deciding acquires and announce "stopping", let the
     * peer hear it (600 ms), fold the peer's ledger up to its tail (at most 1.5 s), append the
     * HandOver, end the process and restart it later. Abandoned when the process ends meanwhile.
     */
    void beginPlannedStop(SimHub h, boolean restartLater) {
        if (h.state != SimHub.State.RUNNING) {
            return;
        }
        SimHub.Process process = h.process;
        h.beginPlannedStop();
        at(600, "hand-over of " + h.id, () -> startHandOver(h, process, restartLater));
    }

    private void startHandOver(SimHub h, SimHub.Process process, boolean restartLater) {
        if (h.process != process) {
            return; // crashed meanwhile: the peer takes over as after any crash
        }
        if (h.state == SimHub.State.HUNG) {
            at(STEP_MS, "hand-over of " + h.id + " (hung)", () -> startHandOver(h, process, restartLater));
            return; // the stopping thread goes on when the process wakes
        }
        long tail = process.replication.peerTail();
        awaitCatchUpThenHandOver(h, process, tail, now() + 1_500, restartLater);
    }

    private void awaitCatchUpThenHandOver(SimHub h, SimHub.Process process, long tail, long until, boolean restartLater) {
        if (h.process != process) {
            return; // crashed meanwhile: the peer takes over as after any crash
        }
        if (h.state == SimHub.State.HUNG || tail >= 0 && !process.replication.caughtUpWith(tail) && now() < until) {
            at(STEP_MS, "catch-up of " + h.id, () -> awaitCatchUpThenHandOver(h, process, tail, until, restartLater));
            return;
        }
        var handOver = process.replication.handOver();
        finishPlannedStop(h, process, handOver, restartLater);
    }

    private void finishPlannedStop(SimHub h, SimHub.Process process, java.util.concurrent.CompletableFuture<Long> handOver,
                                   boolean restartLater) {
        at(STEP_MS, "stop of " + h.id, () -> {
            if (h.process != process) {
                return;
            }
            if (h.state == SimHub.State.HUNG) {
                finishPlannedStop(h, process, handOver, restartLater);
                return;
            }
            boolean stored = handOver.isDone() && !handOver.isCompletedExceptionally();
            if (stored) {
                stats.handOvers++;
            }
            trace.log(h.id, "STOPPED (planned): hand-over %s", stored ? "at " + handOver.join() : "not stored");
            h.crash();
            if (restartLater) {
                scheduleRestart(h);
            }
        });
    }

    /** A planned stop driven to its end, no restart (scenario tests): the hand-over's sequence, or -1 when not stored. */
    long plannedStop(SimHub h) {
        int before = stats.handOvers;
        beginPlannedStop(h, false);
        runFor(Duration.ofMillis(600 + 1_500 + 3 * STEP_MS));
        return stats.handOvers > before ? lastHandOverSeq(h) : -1;
    }

    private static long lastHandOverSeq(SimHub h) {
        long seq = -1;
        for (var b : h.store.batchesFrom(1)) {
            if (b.events().stream().anyMatch(LedgerEvent::hasHandOver)) {
                seq = b.seq();
            }
        }
        return seq;
    }

    void hang(SimHub h) {
        if (h.state == SimHub.State.RUNNING) {
            stats.hangs++;
            h.hang();
        }
    }

    void wake(SimHub h) {
        h.wake(now());
    }

    void machineDown(SimHub h) {
        stats.machinesDown++;
        trace.log("net", "MACHINE %s DOWN (server and hub)", h.id);
        h.crash();
        net.serverDown(h.id, true);
    }

    void machineUp(SimHub h) {
        if (net.serverDown(h.id)) {
            net.serverDown(h.id, false);
            trace.log("net", "machine %s back", h.id);
            h.start(now());
        }
    }

    /** Repairs everything: link, servers, processes, ledger stores. */
    void repairAll() {
        agenda.clear();
        heal();
        for (SimHub h : List.of(main, edge)) {
            h.outage = false;
            machineUp(h);
            wake(h);
            if (h.process != null && h.process.hubLedger.stoppedGranting()) {
                h.crash(); // a planned stop under way ends now, as its bound would end it, hand-over or not
            }
            restart(h);
        }
    }

    Replication.DeclareDeadResult declarePeerDead(String by) {
        Replication.DeclareDeadResult r = hub(by).process.replication.declarePeerDead();
        trace.log(by, "DECLARE-DEAD: %s", r);
        return r;
    }

    /** Told by a {@link SimPeerLink} when its hub wrote a fence into the peer's ledger. */
    void fenceWritten(String byHub, String fencedHub, long fenceSeq) {
        stats.fences++;
        SimHub fencedHub0 = hub(fencedHub);
        if (fencedHub0.running() && now() - fencedHub0.runningSince >= settings.takeoverAfter().toMillis()) {
            stats.falseTakeovers++;
            trace.log(byHub, "(a false takeover: %s has been running for %d ms)", fencedHub, now() - fencedHub0.runningSince);
            if (strictTakeovers) {
                fail(byHub + " fenced " + fencedHub + ", which has been running for " + (now() - fencedHub0.runningSince)
                        + " ms: a takeover is for a peer whose process died or hung (docs/architecture.md, \"Takeover and fence\")");
            }
        }
        if (inFenceHook) {
            return;
        }
        inFenceHook = true;
        try {
            SimHub fenced = hub(fencedHub);
            if (faults.concurrentTakeovers && fenced.running()
                    && Math.abs(fenced.process.nextTick - now()) <= STEP_MS && rnd.nextBoolean()) {
                trace.log(fencedHub, "its tick runs while %s's fence is being acked", byHub);
                fenced.tickNow();
            }
            if (faults.faultsWhileTakeoverPending && faults.perSecond > 0 && rnd.nextInt(3) == 0) {
                trace.log(byHub, "dies right after its fence was acked");
                stats.crashes++;
                hub(byHub).process.ledger.kill();
            }
        } finally {
            inFenceHook = false;
        }
    }

    // ---- convergence ---------------------------------------------------------------------------

    /**
     * Repairs every fault, keeps a moderate load for a while, stops it, and waits until both hubs
     * agree: both running and connected, neither fenced, copies caught up, no lease open, equal
     * budget tables and equal use of every limit, for {@link #STABLE_MS} without a break.
     *
     * @return how long it took after the load stopped, in ms
     */
    long converge() {
        repairAll();
        trace.log("sim", "all repaired: converging");
        workload.rate(MAIN, 3);
        workload.rate(EDGE, 3);
        runFor(Duration.ofSeconds(3));
        workload.rate(MAIN, 0);
        workload.rate(EDGE, 0);
        long quietFrom = now();
        long deadline = quietFrom + 30_000;
        long agreeingSince = -1;
        while (now() < deadline) {
            step();
            if (disagreement() != null) {
                agreeingSince = -1;
            } else if (agreeingSince < 0) {
                agreeingSince = now();
            } else if (now() - agreeingSince >= STABLE_MS) {
                long took = agreeingSince - quietFrom;
                stats.convergeMillis = took;
                trace.log("sim", "converged %d ms after the load stopped", took);
                collectStats();
                return took;
            }
        }
        fail("no stable convergence 30 s after every fault was repaired and the load stopped: " + disagreement());
        return -1;
    }

    private void collectStats() {
        stats.grants = checker.leasesGranted();
        stats.refusals = workload.refused;
        stats.orphans = workload.orphaned;
        stats.takeovers = checker.takeoverCount;
        stats.rejoins = checker.rejoinCount;
    }

    /** Why the hubs do not agree yet, or null when they do. */
    String disagreement() {
        for (SimHub h : List.of(main, edge)) {
            if (!h.running()) {
                return h + " is not running";
            }
            if (!h.mayGrant()) {
                return h + " cannot write its ledger (peer view " + h.process.replication.view() + ")";
            }
            if (h.process.replication.status() != PeerStatus.CONNECTED) {
                return h.id + " sees its peer " + h.process.replication.status();
            }
            if (h.process.consumed < net.copyOnServerOf(h.id).size()) {
                return h.id + " has not folded its copy of the peer's ledger";
            }
            if (h.process.engine.view().openLeases() > 0) {
                return h.id + " has open leases";
            }
        }
        if (!net.copiesCaughtUp()) {
            return "a copy of a ledger is behind";
        }
        if (!workload.idle()) {
            return "agents are still busy";
        }
        List<BudgetView> a = main.process.engine.budgetTable();
        List<BudgetView> b = edge.process.engine.budgetTable();
        if (!a.equals(b)) {
            return "budget tables differ:\n    main " + a + "\n    edge " + b;
        }
        Map<String, Long> ua = used(main);
        Map<String, Long> ub = used(edge);
        if (!ua.equals(ub)) {
            return "use differs: main " + ua + ", edge " + ub;
        }
        return null;
    }

    /** Each limit's use over both hubs, as the hub's view (state endpoint) shows it. */
    static Map<String, Long> used(SimHub h) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (PoolView p : h.process.engine.view().pools()) {
            int i = 0;
            for (LimitView l : p.limits()) {
                out.put(p.name() + "#" + i++, l.used());
            }
            for (KeyView k : p.keys()) {
                int j = 0;
                for (LimitView l : k.limits()) {
                    out.put(p.name() + "/" + k.id() + "#" + j++, l.used());
                }
            }
        }
        return out;
    }
}
