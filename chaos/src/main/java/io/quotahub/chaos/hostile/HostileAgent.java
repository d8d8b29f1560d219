package io.quotahub.chaos.hostile;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.chaos.AgentLogin;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * An agent that attacks the hubs the way a hostile (or badly broken) process on the LAN can:
 * with its own raw NATS connection (not the SDK) and plain HTTP. Each {@link Attack} runs on its
 * own timer, all at once, until {@link #close()}. It never calls the provider: every effect it
 * has must come through the hubs. What it sent and what it got back is in {@link #tally()}.
 * One class per attack ({@link OverflowAttack}, {@link ForgeAttack}, {@link HeartbeatAttack},
 * {@link FloodAttack}, {@link GarbageAttack}) over the means they share ({@link HostileWire}).
 */
public final class HostileAgent implements AutoCloseable {

    /** The attacks; {@link #parse} reads a comma-separated list (or "all"). */
    public enum Attack {
        /** Settles of its own leases with {@code tokensUsed = Long.MAX_VALUE}, over NATS and HTTP. */
        OVERFLOW,
        /**
         * Settles of other agents' leases, learnt by listening to the ledger subjects: RATE_LIMITED
         * with a 10-year retry-after, AUTH_FAILED, ERROR; without a secret and with a wrong one; over
         * NATS and HTTP.
         */
        FORGE,
        /** Heartbeats of about 1 MB: others' lease ids, LeaseProofs with wrong secrets, a 1 MB agent id. */
        HEARTBEAT,
        /** Acquires with priority HIGH (the agent is not a high-priority agent), holding what it gets. */
        FLOOD,
        /** Garbage bytes and mutated protobuf on every subject the hubs listen on, with and without a reply subject. */
        GARBAGE;

        public static EnumSet<Attack> parse(String csv) {
            if (csv == null || csv.isBlank() || csv.trim().equalsIgnoreCase("all")) {
                return EnumSet.allOf(Attack.class);
            }
            if (csv.trim().equalsIgnoreCase("none")) {
                return EnumSet.noneOf(Attack.class);
            }
            EnumSet<Attack> out = EnumSet.noneOf(Attack.class);
            for (String a : csv.split(",")) {
                try {
                    out.add(valueOf(a.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("unknown attack '" + a.trim() + "'; one of " + EnumSet.allOf(Attack.class)
                            + ", all or none", e);
                }
            }
            return out;
        }
    }

    private final String agentId;
    private final long callTokens;
    private final long keyTokenLimit;
    private final long windowMillis;
    private final long seed;
    private final EnumSet<Attack> attacks;
    private final Consumer<String> log;
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(4, r -> {
        Thread t = new Thread(r, "hostile-agent");
        t.setDaemon(true);
        return t;
    });
    private final Connection nc;
    private final Connection spy;
    private final HostileWire wire;
    private volatile boolean running = true;

    /**
     * Connects (nothing is sent until {@link #start()}).
     *
     * @param agentId       the one agent id it uses
     * @param pool          the pool it attacks
     * @param callTokens    the estimate of its ordinary acquires (the pool's max-tokens-per-call)
     * @param keyTokenLimit a key's whole token limit (some of its acquires ask for all of it)
     * @param window        the keys' window (plus the hubs' margin): how long one settle stays counted
     * @param servers       NATS servers, its own first
     * @param natsUser      the agent user/password file it connects with (null: none); it reads the
     *                      ledgers on a second connection without it, as an insider who learned lease
     *                      ids would (no agent user may read a ledger)
     * @param hubUrls       hub id → HTTP base URL
     * @param httpToken     the AGENT token it sends over HTTP: it is an agent, holding what every HTTP agent holds
     * @throws IOException when it cannot connect
     */
    public HostileAgent(String agentId, String pool, long callTokens, long keyTokenLimit, Duration window, String[] servers,
            Path natsUser, Map<String, String> hubUrls, String httpToken, EnumSet<Attack> attacks, long seed, Consumer<String> log)
            throws IOException {
        this.agentId = agentId;
        this.callTokens = callTokens;
        this.keyTokenLimit = keyTokenLimit;
        this.windowMillis = window.toMillis();
        this.seed = seed;
        this.attacks = attacks.isEmpty() ? EnumSet.noneOf(Attack.class) : EnumSet.copyOf(attacks);
        this.log = log;
        try {
            Options.Builder agent = new Options.Builder().servers(servers).noRandomize().maxReconnects(-1)
                    .connectionName(agentId).errorListener(new io.nats.client.ErrorListener() { });
            this.nc = Nats.connect(AgentLogin.apply(agent, natsUser).build());
            this.spy = Nats.connect(new Options.Builder().servers(servers).noRandomize().maxReconnects(-1)
                    .connectionName(agentId + "-ledger-reader").errorListener(new io.nats.client.ErrorListener() { }).build());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting", e);
        }
        this.wire = new HostileWire(agentId, pool, hubUrls, httpToken, new Random(seed), nc);
    }

    /** Starts every attack it was given, each on its own timer. */
    public void start() {
        Dispatcher ledger = spy.createDispatcher(wire::onLedger);
        ledger.subscribe("qh.ledger.>");
        if (attacks.contains(Attack.FLOOD)) {
            every(10, new FloodAttack(wire, callTokens, keyTokenLimit)::tick);
        }
        if (attacks.contains(Attack.OVERFLOW)) {
            OverflowAttack overflow = new OverflowAttack(wire, callTokens, windowMillis);
            every(200, overflow::overNats);
            every(500, overflow::overHttp);
            every(1_000, overflow::held);
        }
        if (attacks.contains(Attack.FORGE)) {
            every(20, new ForgeAttack(wire, timers)::tick);
        }
        if (attacks.contains(Attack.HEARTBEAT)) {
            every(200, new HeartbeatAttack(wire)::tick);
        }
        if (attacks.contains(Attack.GARBAGE)) {
            every(25, new GarbageAttack(wire, seed)::tick);
        }
        log.accept("hostile agent " + agentId + " attacks with " + attacks);
    }

    private void every(long millis, Runnable task) {
        timers.scheduleAtFixedRate(() -> {
            if (!running) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                // an attack that trips over itself (e.g. the connection is reconnecting) tries again next time
                wire.tally.count("hostile agent itself", e.getClass().getSimpleName());
            }
        }, wire.random.nextInt((int) millis), millis, TimeUnit.MILLISECONDS);
    }

    public Tally tally() {
        return wire.tally;
    }

    /** Its overflowing and forged settles that a hub took (answered "settled"), by attack; none is the aim. */
    public Map<String, Long> acceptedSettles() {
        return wire.tally.counts(attack -> attack.startsWith("overflow: settle") || attack.startsWith("overflow: complete")
                || attack.startsWith("forge:"), answer -> answer.equals("settled") || answer.equals("http 200 settled"));
    }

    /** Leases it holds (granted, not settled by the hub, not yet expired), as far as it knows. */
    public int held() {
        long now = System.currentTimeMillis();
        return (int) Stream.concat(wire.own.values().stream(), wire.held.values().stream())
                .filter(l -> l.expiresAtMs() == 0 || l.expiresAtMs() >= now).count();
    }

    /** Stops every attack and closes its connection (leases it still holds expire at the hubs). */
    @Override
    public void close() {
        running = false;
        timers.shutdownNow();
        try {
            timers.awaitTermination(5, TimeUnit.SECONDS);
            nc.close();
            spy.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
