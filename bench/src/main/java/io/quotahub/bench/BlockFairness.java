package io.quotahub.bench;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.BlockPolicy;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.testing.ManualClock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * How block size and expiry trade goodput against fairness (docs/benchmarks.md, section 8): one
 * engine on a manual clock, one key of {@value #CAPACITY} requests per second, two heavy agents
 * (100 calls/s each) and eight light ones (5/s each): 240/s asked of 100/s. Each agent behaves as
 * the SDK does without refilling ahead: a call draws from its block while the block has room and
 * is within its life (as the SDK counts it: less 100 ms + 1/20); otherwise the agent settles the
 * block with the calls it made and asks for the next (its rate x life x 1.25 + 1 calls); a refused
 * agent asks again at the retry-after, as {@code acquire(maxWait)} does. Calls wait at most a
 * second's worth (older ones are given up); the agents act in a random order each millisecond.
 * 20 s simulated, the last 15 s measured; every served call is checked against the provider's
 * window (no second ever holds more than the capacity).
 *
 * Prints a Markdown table and draws goodput and Jain's index against max-calls ({@link FairnessPlot}).
 * Runs the key with room first ({@link SpareRoomFairness}: where block size and expiry do trade
 * something), then this saturated key.
 *
 * <pre>java -cp bench/target/bench.jar io.quotahub.bench.BlockFairness [--png docs/block-fairness.png]
 *     [--spare-png docs/block-fairness-spare-room.png]</pre>
 */
public final class BlockFairness {

    static final int CAPACITY = 100;
    private static final boolean DEBUG = Boolean.getBoolean("qh.fairness.debug");
    private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");
    private static final int[] RATES = {100, 100, 5, 5, 5, 5, 5, 5, 5, 5};
    private static final long SECONDS = 20;
    private static final long MEASURE_FROM = 5_000;

    private BlockFairness() {
    }

    static final String SATURATED_HEADER = "| max-calls | expiry | max-share-per-agent | goodput (of capacity) | light agents served | heavy agents served | Jain index (served / max-min share) | grants/s | max in any 1 s |\n"
            + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    public static void main(String[] args) throws java.io.IOException {
        if (DEBUG) {
            System.out.println(run(100, 2_000, 0).row());
            return;
        }
        java.util.Map<String, String> o = BenchCli.parse("BlockFairness", args, "png=docs/block-fairness.png",
                "spare-png=docs/block-fairness-spare-room.png");
        java.nio.file.Path png = java.nio.file.Path.of(o.getOrDefault("png", "docs/block-fairness.png"));
        java.nio.file.Path sparePng = java.nio.file.Path.of(o.getOrDefault("spare-png", "docs/block-fairness-spare-room.png"));
        runBoth(png, sparePng, System.out);
    }

    /**
     * Both scenarios: the key with room (the sweep, its table and plot), then the saturated key.
     *
     * @return the two Markdown tables, in that order
     */
    static java.util.List<String> runBoth(java.nio.file.Path png, java.nio.file.Path sparePng, java.io.PrintStream out)
            throws java.io.IOException {
        out.println("A key with room (" + SpareRoomFairness.AGENTS.size() + " agents, sweep of "
                + SpareRoomFairness.SCALES.length * 2 * SpareRoomFairness.EXPIRIES_MS.length * SpareRoomFairness.MAX_CALLS.length
                + " configurations):");
        StringBuilder spare = new StringBuilder(SpareRoomFairness.HEADER).append('\n');
        out.println(SpareRoomFairness.HEADER);
        java.util.List<SpareRoomFairness.Result> spareResults = SpareRoomFairness.sweep(r -> {
            out.println(r.row());
            spare.append(r.row()).append('\n');
        });
        FairnessPlot.writeTradeOff(sparePng, spareResults);
        out.println("wrote " + sparePng);
        out.println();
        out.println("A saturated key (240/s asked of " + CAPACITY + "/s):");
        StringBuilder saturated = new StringBuilder(SATURATED_HEADER).append('\n');
        out.println(SATURATED_HEADER);
        java.util.List<Result> results = new java.util.ArrayList<>();
        for (long expiry : new long[] {500, 2_000}) {
            for (int maxCalls : new int[] {1, 5, 20, 100}) {
                results.add(run(maxCalls, expiry, 0));
            }
        }
        results.add(run(100, 2_000, 0.2));
        results.add(run(50, 2_000, 0));
        for (Result r : results) {
            out.println(r.row());
            saturated.append(r.row()).append('\n');
        }
        FairnessPlot.write(png, results);
        out.println("wrote " + png);
        return java.util.List.of(spare.toString(), saturated.toString());
    }

    /** One configuration's outcome; goodput and the served shares are fractions (0..1). */
    record Result(int maxCalls, long expiryMs, double maxShare, double goodput, double lightServed, double heavyServed,
                  double jain, double grantsPerSec, long maxInSecond) {

        String row() {
            return String.format(Locale.ROOT, "| %d | %.1f s | %s | %.1f %% | %.1f %% | %.1f %% | %.3f | %.1f | %d |", maxCalls,
                    expiryMs / 1000.0, maxShare > 0 ? String.valueOf(maxShare) : "off", 100 * goodput, 100 * lightServed,
                    100 * heavyServed, jain, grantsPerSec, maxInSecond);
        }
    }

    private static final class Agent {
        final int rate;
        final long period;
        final long offset;
        LeaseRecord block;
        int left;
        int used;
        long usableUntil;
        long backoffUntil;
        long wanted;
        long served;
        /** Calls waiting to be made (at most a second's worth: older ones are given up). */
        int backlog;

        Agent(int rate, int index) {
            this.rate = rate;
            this.period = 1000 / rate;
            this.offset = index * 7L % period;
        }
    }

    static Result run(int maxCalls, long expiryMs, double maxShare) {
        ManualClock clock = new ManualClock(T0);
        PoolSpec pool = new PoolSpec("p", java.util.List.of(new KeySpec("k", java.util.List.of(
                LimitSpec.requests(CAPACITY, Duration.ofSeconds(1))), 0)), java.util.List.of(), 0, Preset.PREMIUM,
                new io.quotahub.engine.PoolPolicy(0, 0, maxShare, java.util.List.of()))
                .withBlocks(new BlockPolicy(maxCalls, Duration.ofMillis(expiryMs)));
        QuotaEngine engine = new QuotaEngine(EngineConfig.builder("main").pools(java.util.List.of(pool))
                .settleMargin(Duration.ZERO).build(), clock, EngineListener.NONE);
        Agent[] agents = new Agent[RATES.length];
        for (int i = 0; i < agents.length; i++) {
            agents[i] = new Agent(RATES[i], i);
        }
        ArrayDeque<Long> window = new ArrayDeque<>();
        long maxInSecond = 0;
        long grants = 0;
        long margin = 100 + expiryMs / 20;
        int requestId = 0;
        java.util.Random order = new java.util.Random(7);
        int[] idx = new int[agents.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        for (long t = 0; t < SECONDS * 1000; t++) {
            clock.set(T0.plusMillis(t));
            engine.expireDue();
            boolean measured = t >= MEASURE_FROM;
            shuffle(idx, order); // no agent wins every tie by its place in a list
            for (int i : idx) {
                Agent a = agents[i];
                if (t >= a.offset && (t - a.offset) % a.period == 0) {
                    a.backlog = Math.min(a.backlog + 1, a.rate); // it waits up to a second's worth of calls
                    if (measured) {
                        a.wanted++;
                    }
                }
                if (a.backlog == 0) {
                    continue;
                }
                if (a.block != null && (a.left <= 0 || t >= a.usableUntil)) {
                    engine.settle(new Settlement(a.block.leaseId(), 0, Outcome.OK, Duration.ZERO, clock.instant(), a.used));
                    a.block = null;
                }
                if (a.block == null) {
                    if (t < a.backoffUntil) {
                        continue;
                    }
                    int ask = (int) Math.ceil(a.rate * expiryMs / 1000.0 * 1.25) + 1;
                    Decision d = engine.acquire(new AcquireRequest("p", 1, Priority.NORMAL, "agent-" + i, "r" + (++requestId))
                            .withBlock(ask));
                    if (d instanceof Decision.Denied denied) {
                        a.backoffUntil = t + denied.refusal().retryAfter().toMillis(); // asks again then, as acquire(maxWait) does
                        if (DEBUG && measured && t < MEASURE_FROM + 3000) {
                            System.out.println(t + " agent " + i + " refused " + denied.refusal().code() + " " + denied.refusal().retryAfter());
                        }
                        continue;
                    }
                    a.block = ((Decision.Admitted) d).lease();
                    if (DEBUG && measured && t < MEASURE_FROM + 3000) {
                        System.out.println(t + " agent " + i + " block " + a.block.calls());
                    }
                    a.left = a.block.calls();
                    a.used = 0;
                    a.usableUntil = t + expiryMs - margin;
                    grants += measured ? 1 : 0;
                }
                a.left--;
                a.used++;
                a.backlog--;
                window.addLast(t);
                while (window.peekFirst() <= t - 1000) {
                    window.pollFirst();
                }
                maxInSecond = Math.max(maxInSecond, window.size());
                if (measured) {
                    a.served++;
                }
            }
        }
        double seconds = (SECONDS * 1000 - MEASURE_FROM) / 1000.0;
        long served = 0;
        double lightServed = 0;
        double lightWanted = 0;
        double heavyServed = 0;
        double heavyWanted = 0;
        for (Agent a : agents) {
            served += a.served;
            if (a.rate <= 5) {
                lightServed += a.served;
                lightWanted += a.wanted;
            } else {
                heavyServed += a.served;
                heavyWanted += a.wanted;
            }
        }
        // max-min fair shares of 100/s: the light agents' whole 40/s, the heavy ones 30/s each
        double sum = 0;
        double squares = 0;
        for (Agent a : agents) {
            double share = a.rate <= 5 ? a.rate : (CAPACITY - 40) / 2.0;
            double x = a.served / seconds / share;
            sum += x;
            squares += x * x;
        }
        double jain = sum * sum / (agents.length * squares);
        return new Result(maxCalls, expiryMs, maxShare, served / (CAPACITY * seconds), lightServed / lightWanted,
                heavyServed / heavyWanted, jain, grants / seconds, maxInSecond);
    }

    /** Fisher–Yates on {@code idx}, drawing from {@code order}: the agents' order for one millisecond. */
    static void shuffle(int[] idx, java.util.Random order) {
        for (int i = idx.length - 1; i > 0; i--) {
            int j = order.nextInt(i + 1);
            int x = idx[i];
            idx[i] = idx[j];
            idx[j] = x;
        }
    }
}
