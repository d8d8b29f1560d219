package io.quotahub.bench;

import io.quotahub.agent.internal.SimulatedBlockSupply;
import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.BlockPolicy;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.testing.ManualClock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Block size and expiry on a key WITH SPARE ROOM (docs/benchmarks.md, section 8): where blocks pay
 * (calls served in-process, fewer hub round trips) and what they may cost (units idle in held blocks:
 * a burst or a late agent refused or kept waiting, the key's thermal throttle). One engine on a manual clock, one key of
 * {@value #CAPACITY} calls per second, 1 ms steps; each agent runs the SDK's own block supply
 * ({@link SimulatedBlockSupply}: refill ahead of need, sizing from the recent rate, the block's usable
 * life less the safety margin, the end-of-use timer that settles an idle block) against the engine, a
 * hub round trip of {@value #RTT_MS} ms away; the hub's housekeeping (expiry, thermal tick) every
 * {@value #HOUSEKEEPING_MS} ms. Demand (seeded, the same for every configuration):
 * <ul>
 *   <li>2 steady agents, Poisson 12 calls/s each;</li>
 *   <li>3 bursty agents, 20/s for 1.5 s in every 5 s (staggered);</li>
 *   <li>1 on-off agent, 20/s for 2 s then idle for 4 s: it goes idle holding its blocks;</li>
 *   <li>1 late agent, 15/s from t = 60 s;</li>
 *   <li>3 light agents, Poisson 3/s each.</li>
 * </ul>
 * On average 65 % of the capacity (at moments 88 %); {@link #SCALES} adds a second level at 0.6 x
 * those rates (39 %). A call that finds no block with
 * room waits, drawing again every millisecond (as {@code acquire(maxWait)} does, the refill started
 * by the supply and retried after a refusal's retry-after), for at most {@value #MAX_WAIT_MS} ms, then
 * is given up. Every call served is checked against the key's window: a second holding more than
 * the capacity fails the run.
 */
final class SpareRoomFairness {

    static final int CAPACITY = 100;
    static final int RTT_MS = 2;
    static final int MAX_WAIT_MS = 1_000;
    static final long SECONDS = 120;
    static final long MEASURE_FROM = 5_000;
    static final long[] EXPIRIES_MS = {250, 500, 1_000, 2_000, 5_000};
    static final int[] MAX_CALLS = {1, 2, 5, 10, 20, 50, 100};
    static final double MAX_SHARE = 0.25;
    static final long HOUSEKEEPING_MS = 250;
    private static final boolean DEBUG = Boolean.getBoolean("qh.fairness.debug");
    private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");
    private static final long TICKER_ORIGIN = 1_000_000_000L;

    /** One agent's demand: calls per second while on, and when it is on. */
    record Demand(String name, double rate, long periodMs, long onMs, long phaseMs, long fromMs, boolean starvable) {

        boolean on(long t) {
            if (t < fromMs) {
                return false;
            }
            return periodMs == 0 || Math.floorMod(t - phaseMs, periodMs) < onMs;
        }
    }

    static final List<Demand> AGENTS = List.of(
            new Demand("steady-1", 12, 0, 0, 0, 0, false),
            new Demand("steady-2", 12, 0, 0, 0, 0, false),
            new Demand("bursty-1", 20, 5_000, 1_500, 0, 0, true),
            new Demand("bursty-2", 20, 5_000, 1_500, 1_700, 0, true),
            new Demand("bursty-3", 20, 5_000, 1_500, 3_400, 0, true),
            new Demand("on-off", 20, 6_000, 2_000, 0, 0, true),
            new Demand("late", 15, 0, 0, 0, 60_000, true),
            new Demand("light-1", 3, 0, 0, 0, 0, false),
            new Demand("light-2", 3, 0, 0, 0, 0, false),
            new Demand("light-3", 3, 0, 0, 0, 0, false));

    /**
     * One configuration's outcome. Fractions are 0..1; waits in ms.
     *
     * @param demand          calls asked / (capacity x time): the key's average load
     * @param goodput         calls served / min(calls asked, capacity x time)
     * @param callsPerGrant   calls served per block granted (1 = a hub round trip per call)
     * @param waited          share of the calls asked not served at once (waited for a grant, or given up)
     * @param p99WaitMs       99th percentile of the wait of every call asked (a call given up counts its full wait)
     * @param jain            Jain's index of min(1, served / max-min fair share) over the agents
     * @param worstServed     the lowest min(1, served / fair share) of any agent
     * @param starvableServed served / fair share of the bursty, on-off and late agents together
     * @param maxInWindow     most calls made in any 1 s
     * @param throttled       share of the time the key was thermally throttled (blocks of one call)
     */
    record Result(double scale, double demand, int maxCalls, long expiryMs, double maxShare, double goodput,
                  double callsPerGrant, double waited, double p99WaitMs, double jain, double worstServed,
                  double starvableServed, long grants, long maxInWindow, double throttled) {

        String row() {
            return String.format(Locale.ROOT, "| %.0f %% | %d | %s s | %s | %.1f %% | %.2f | %.1f %% | %.0f ms | %.3f | %.1f %% | %.1f %% | %d | %.0f %% |",
                    100 * demand, maxCalls, seconds(expiryMs), maxShare > 0 ? String.valueOf(maxShare) : "off", 100 * goodput,
                    callsPerGrant, 100 * waited, p99WaitMs, jain, 100 * worstServed, 100 * starvableServed, maxInWindow,
                    100 * throttled);
        }
    }

    static final String HEADER = "| average demand | max-calls | expiry | max-share-per-agent | goodput (of demand) | calls per grant | calls that waited | p99 wait | Jain (served / fair share) | worst agent served | bursty, on-off, late agents served | most calls in any 1 s | key throttled |\n"
            + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    static String seconds(long ms) {
        return ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0);
    }

    static boolean measured(long t) {
        return t >= MEASURE_FROM;
    }

    private SpareRoomFairness() {
    }

    /** The demand levels swept: the agents' rates times these (about 65 % and 39 % of the capacity). */
    static final double[] SCALES = {1.0, 0.6};

    /** Every configuration of the sweep, in order: demand, max-share off then on, expiry, max-calls. */
    static List<Result> sweep(Consumer<Result> each) {
        List<Result> all = new ArrayList<>();
        for (double scale : SCALES) {
            for (double share : new double[] {0, MAX_SHARE}) {
                for (long expiry : EXPIRIES_MS) {
                    for (int maxCalls : MAX_CALLS) {
                        Result r = run(maxCalls, expiry, share, scale);
                        each.accept(r);
                        all.add(r);
                    }
                }
            }
        }
        return all;
    }

    private static final class Agent {
        final Demand demand;
        final Random arrivals;
        final ArrayDeque<Long> waiting = new ArrayDeque<>();
        SimulatedBlockSupply supply;
        long asked;
        long served;
        long[] askedPerSecond = new long[(int) SECONDS];

        Agent(Demand demand, int index) {
            this.demand = demand;
            this.arrivals = new Random(1_000 + index);
        }
    }

    private record Event(long at, long seq, Runnable task) {
    }

    static Result run(int maxCalls, long expiryMs, double maxShare, double scale) {
        ManualClock clock = new ManualClock(T0);
        PoolSpec pool = new PoolSpec("p", List.of(new KeySpec("k", List.of(LimitSpec.requests(CAPACITY, Duration.ofSeconds(1))), 0)),
                List.of(), 0, Preset.PREMIUM, new PoolPolicy(0, 0, maxShare, List.of()))
                .withBlocks(new BlockPolicy(maxCalls, Duration.ofMillis(expiryMs)));
        QuotaEngine engine = new QuotaEngine(EngineConfig.builder("main").pools(List.of(pool)).settleMargin(Duration.ZERO).build(),
                clock, EngineListener.NONE);
        long[] now = {0};
        long[] seq = {0};
        PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
        long[] grants = {0};
        int[] requestId = {0};
        List<Agent> agents = new ArrayList<>();
        for (int i = 0; i < AGENTS.size(); i++) {
            Agent a = new Agent(AGENTS.get(i), i);
            String agentId = a.demand.name();
            a.supply = new SimulatedBlockSupply("p", () -> TICKER_ORIGIN + now[0] * 1_000_000L, new SimulatedBlockSupply.Hub() {
                @Override
                public void request(int calls, long tokensPerCall, Consumer<SimulatedBlockSupply.Answer> answer) {
                    Decision d = engine.acquire(new AcquireRequest("p", tokensPerCall, Priority.NORMAL, agentId, "r" + (++requestId[0]))
                            .withBlock(calls));
                    SimulatedBlockSupply.Answer reply;
                    if (d instanceof Decision.Admitted admitted) {
                        LeaseRecord l = admitted.lease();
                        reply = new SimulatedBlockSupply.Answer(l.leaseId(), l.keyId(), Math.max(1, l.blockCalls()), l.tokens(),
                                Duration.between(l.grantedAt(), l.expiresAt()).toNanos(), null);
                        if (DEBUG && now[0] < 300) {
                            System.out.println(now[0] + " " + agentId + " asked " + calls + " got " + l.blockCalls());
                        }
                        if (now[0] >= MEASURE_FROM) {
                            grants[0]++;
                        }
                    } else {
                        reply = SimulatedBlockSupply.Answer.refused(((Decision.Denied) d).refusal().retryAfter());
                        if (DEBUG && now[0] < 300) {
                            System.out.println(now[0] + " " + agentId + " refused " + ((Decision.Denied) d).refusal());
                        }
                    }
                    events.add(new Event(now[0] + RTT_MS, seq[0]++, () -> answer.accept(reply)));
                }

                @Override
                public void settle(String leaseId, long tokensUsed, int callsUsed) {
                    engine.settle(new Settlement(leaseId, tokensUsed, Outcome.OK, Duration.ZERO, clock.instant(), callsUsed));
                }

                @Override
                public void schedule(Runnable task, long delayNanos) {
                    events.add(new Event(now[0] + Math.max(1, (delayNanos + 999_999) / 1_000_000), seq[0]++, task));
                }
            });
            agents.add(a);
        }
        ArrayDeque<Long> window = new ArrayDeque<>();
        boolean[] wasThrottled = {false};
        long maxInWindow = 0;
        int[] waitHistogram = new int[MAX_WAIT_MS + 1];
        long waitedCalls = 0;
        long throttledTicks = 0;
        Random order = new Random(7);
        int[] idx = new int[agents.size()];
        Arrays.setAll(idx, i -> i);
        for (long t = 0; t < SECONDS * 1000; t++) {
            now[0] = t;
            clock.set(T0.plusMillis(t));
            engine.expireDue();
            if (t % HOUSEKEEPING_MS == 0) { // the hub's housekeeping: expiry and the thermal tick, every 250 ms
                engine.tick();
                if (measured(t) && engine.view().pools().get(0).keys().get(0).thermal().throttled()) {
                    throttledTicks++;
                }
            }
            while (!events.isEmpty() && events.peek().at <= t) {
                events.poll().task.run();
            }
            if (DEBUG) {
                var kv = engine.view().pools().get(0).keys().get(0);
                boolean th = kv.thermal().throttled();
                if (th != wasThrottled[0]) {
                    long open = engine.openLeases().stream().mapToLong(l -> l.calls()).sum();
                    System.out.println(t + " throttled=" + th + " used=" + kv.limits().get(0).used() + " open=" + open + " window=" + window.size());
                    wasThrottled[0] = th;
                    engine.openLeases().forEach(l -> System.out.println("   " + l.agentId() + " " + l.calls() + " " + l.grantedAt() + " " + l.expiresAt()));
                }
            }
            boolean measured = t >= MEASURE_FROM;
            BlockFairness.shuffle(idx, order); // no agent wins every tie by its place in a list
            for (int i : idx) {
                Agent a = agents.get(i);
                boolean arrives = a.arrivals.nextDouble() < a.demand.rate() * scale / 1000.0; // drawn every ms: the same demand in every run
                if (arrives && a.demand.on(t)) {
                    a.waiting.addLast(t);
                    if (measured) {
                        a.asked++;
                        a.askedPerSecond[(int) (t / 1000)]++;
                    }
                }
                while (!a.waiting.isEmpty()) {
                    long arrived = a.waiting.peekFirst();
                    if (t - arrived >= MAX_WAIT_MS) { // given up: acquire(maxWait) failed
                        a.waiting.pollFirst();
                        if (arrived >= MEASURE_FROM) {
                            waitHistogram[MAX_WAIT_MS]++;
                            waitedCalls++;
                        }
                        continue;
                    }
                    if (!a.supply.tryAcquire()) {
                        break;
                    }
                    a.waiting.pollFirst();
                    window.addLast(t);
                    while (window.peekFirst() <= t - 1000) {
                        window.pollFirst();
                    }
                    maxInWindow = Math.max(maxInWindow, window.size());
                    if (window.size() > CAPACITY) {
                        throw new IllegalStateException(String.format(Locale.ROOT,
                                "window over its limit: %d calls in the second up to t = %d ms (max-calls %d, expiry %d ms)",
                                window.size(), t, maxCalls, expiryMs));
                    }
                    if (arrived >= MEASURE_FROM) {
                        a.served++;
                        int wait = (int) (t - arrived);
                        waitHistogram[wait]++;
                        waitedCalls += wait > 0 ? 1 : 0;
                    }
                }
            }
        }
        return summarise(scale, maxCalls, expiryMs, maxShare, agents, grants[0], waitHistogram, waitedCalls, maxInWindow,
                throttledTicks * HOUSEKEEPING_MS / (double) (SECONDS * 1000 - MEASURE_FROM));
    }

    private static Result summarise(double scale, int maxCalls, long expiryMs, double maxShare, List<Agent> agents, long grants,
                                    int[] waitHistogram, long waitedCalls, long maxInWindow,
                                    double throttled) {
        int n = agents.size();
        double[] fair = new double[n];
        for (int s = (int) (MEASURE_FROM / 1000); s < SECONDS; s++) {
            long[] demand = new long[n];
            for (int i = 0; i < n; i++) {
                demand[i] = agents.get(i).askedPerSecond[s];
            }
            double[] share = maxMinFair(demand, CAPACITY);
            for (int i = 0; i < n; i++) {
                fair[i] += share[i];
            }
        }
        long asked = 0;
        long served = 0;
        double sum = 0;
        double squares = 0;
        int counted = 0;
        double worst = 1;
        double starvableServed = 0;
        double starvableFair = 0;
        for (int i = 0; i < n; i++) {
            Agent a = agents.get(i);
            asked += a.asked;
            served += a.served;
            if (fair[i] <= 0) {
                continue;
            }
            double x = Math.min(1, a.served / fair[i]);
            sum += x;
            squares += x * x;
            counted++;
            worst = Math.min(worst, x);
            if (a.demand.starvable()) {
                starvableServed += a.served;
                starvableFair += fair[i];
            }
        }
        double jain = squares == 0 ? 0 : sum * sum / (counted * squares);
        double seconds = (SECONDS * 1000 - MEASURE_FROM) / 1000.0;
        double goodput = served / Math.min((double) asked, CAPACITY * seconds);
        long target = (long) Math.ceil(asked * 0.99);
        long cumulative = 0;
        int p99 = 0;
        for (int w = 0; w < waitHistogram.length; w++) {
            cumulative += waitHistogram[w];
            if (cumulative >= target) {
                p99 = w;
                break;
            }
        }
        return new Result(scale, asked / (CAPACITY * seconds), maxCalls, expiryMs, maxShare, goodput, grants == 0 ? 0 : served / (double) grants,
                waitedCalls / (double) Math.max(1, asked), p99, jain, worst, Math.min(1, starvableServed / starvableFair),
                grants, maxInWindow, throttled);
    }

    /** Water-filling: each agent gets its demand or an equal part of what is left, whichever is less. */
    static double[] maxMinFair(long[] demand, double capacity) {
        double[] share = new double[demand.length];
        boolean[] done = new boolean[demand.length];
        double left = capacity;
        int open = demand.length;
        while (open > 0 && left > 1e-9) {
            double each = left / open;
            boolean anyFilled = false;
            for (int i = 0; i < demand.length; i++) {
                if (!done[i] && demand[i] - share[i] <= each) {
                    left -= demand[i] - share[i];
                    share[i] = demand[i];
                    done[i] = true;
                    open--;
                    anyFilled = true;
                }
            }
            if (!anyFilled) {
                for (int i = 0; i < demand.length; i++) {
                    if (!done[i]) {
                        share[i] += each;
                    }
                }
                left = 0;
            }
        }
        return share;
    }

    public static void main(String[] args) {
        if (args.length == 4) {
            System.out.println(run(Integer.parseInt(args[0]), Long.parseLong(args[1]), Double.parseDouble(args[2]),
                    Double.parseDouble(args[3])).row());
            return;
        }
        System.out.println(HEADER);
        long start = System.nanoTime();
        sweep(r -> System.out.println(r.row()));
        System.out.printf(Locale.ROOT, "(%.1f s)%n", (System.nanoTime() - start) / 1e9);
    }
}
