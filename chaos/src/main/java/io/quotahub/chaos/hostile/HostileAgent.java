package io.quotahub.chaos.hostile;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.agent.NatsFiles;
import io.quotahub.chaos.ChaosJson;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * An agent that attacks the hubs the way a hostile (or badly broken) process on the LAN can:
 * with its own raw NATS connection (not the SDK) and plain HTTP. Each {@link Attack} runs on its
 * own timer, all at once, until {@link #close()}. It never calls the provider: every effect it
 * has must come through the hubs. What it sent and what it got back is in {@link #tally()}.
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

    /** Ten years, in milliseconds: the retry-after of a forged RATE_LIMITED settle. */
    static final long TEN_YEARS_MS = 315_360_000_000L;
    private static final Duration ANSWER_WITHIN = Duration.ofMillis(1_500);
    private static final int RECENT_OTHERS = 512;

    private record Own(String leaseId, String secret, String hubId, String keyId, long expiresAtMs) {
    }

    private record Foreign(String leaseId, String hubId) {
    }

    private final String agentId;
    private final String httpToken;
    private final String pool;
    private final long callTokens;
    private final long keyTokenLimit;
    private final long windowMillis;
    private final Map<String, String> hubUrls;
    private final EnumSet<Attack> attacks;
    private final Random random;
    private final Payloads payloads;
    private final Consumer<String> log;
    private final Tally tally = new Tally();
    /** Leases of the overflow attack: settled with Long.MAX_VALUE, again and again while open. */
    private final Map<String, Own> own = new ConcurrentHashMap<>();
    /** Leases of the flood: held, never settled. */
    private final Map<String, Own> held = new ConcurrentHashMap<>();
    /** When it last sent a Long.MAX_VALUE settle for a lease of (granting hub, key) that may still be in that key's window. */
    private final Map<String, Long> wrapSentAt = new ConcurrentHashMap<>();
    private final BlockingQueue<Foreign> fresh = new LinkedBlockingQueue<>(1_000);
    private final Deque<Foreign> recentOthers = new ArrayDeque<>();
    private final AtomicLong floods = new AtomicLong();
    private final AtomicLong forgeries = new AtomicLong();
    private final AtomicLong heartbeats = new AtomicLong();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(4, r -> {
        Thread t = new Thread(r, "hostile-agent");
        t.setDaemon(true);
        return t;
    });
    private final Connection nc;
    private final Connection spy;
    private final List<String> subjects;
    private byte[] idPadding;
    private byte[] proofPadding;
    private String hugeAgentId;
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
        this.httpToken = httpToken;
        this.pool = pool;
        this.callTokens = callTokens;
        this.keyTokenLimit = keyTokenLimit;
        this.windowMillis = window.toMillis();
        this.hubUrls = Map.copyOf(hubUrls);
        this.attacks = attacks.isEmpty() ? EnumSet.noneOf(Attack.class) : EnumSet.copyOf(attacks);
        this.random = new Random(seed);
        this.payloads = new Payloads(new Random(seed + 1), agentId, pool);
        this.log = log;
        List<String> s = new ArrayList<>(List.of(Subjects.ACQUIRE, Subjects.SETTLE, Subjects.HEARTBEAT));
        hubUrls.keySet().stream().sorted().forEach(hub -> {
            s.add(Subjects.hubAcquire(hub));
            s.add(Subjects.hubSettle(hub));
        });
        this.subjects = List.copyOf(s);
        try {
            Options.Builder agent = new Options.Builder().servers(servers).noRandomize().maxReconnects(-1)
                    .connectionName(agentId).errorListener(new io.nats.client.ErrorListener() { });
            if (natsUser != null) {
                NatsFiles.UserPassword up = NatsFiles.userPassword(natsUser);
                agent.userInfo(up.user().toCharArray(), up.password()).inboxPrefix(Subjects.agentInboxPrefix(up.user()));
            }
            this.nc = Nats.connect(agent.build());
            this.spy = Nats.connect(new Options.Builder().servers(servers).noRandomize().maxReconnects(-1)
                    .connectionName(agentId + "-ledger-reader").errorListener(new io.nats.client.ErrorListener() { }).build());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting", e);
        }
    }

    /** Starts every attack it was given. */
    public void start() {
        Dispatcher ledger = spy.createDispatcher(this::onLedger);
        ledger.subscribe("qh.ledger.>");
        if (attacks.contains(Attack.FLOOD)) {
            every(10, this::floodHigh);
        }
        if (attacks.contains(Attack.OVERFLOW)) {
            every(200, this::overflowOverNats);
            every(500, this::overflowOverHttp);
            every(1_000, this::overflowHeld);
        }
        if (attacks.contains(Attack.FORGE)) {
            every(20, this::forgeSettles);
        }
        if (attacks.contains(Attack.HEARTBEAT)) {
            buildPadding();
            every(200, this::oversizedHeartbeat);
        }
        if (attacks.contains(Attack.GARBAGE)) {
            every(25, this::garbage);
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
                tally.count("hostile agent itself", e.getClass().getSimpleName());
            }
        }, random.nextInt((int) millis), millis, TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ what a LAN listener learns

    /** Grants in the ledgers name other agents' lease ids (and, today, nothing proves who holds them). */
    private void onLedger(Message m) {
        LedgerBatch batch;
        try {
            batch = LedgerBatch.parseFrom(m.getData());
        } catch (InvalidProtocolBufferException notABatch) {
            return; // a fence
        }
        for (LedgerEvent e : batch.getEventsList()) {
            if (e.hasGrant() && e.getGrant().getPool().equals(pool) && !e.getGrant().getAgentId().equals(agentId)) {
                Foreign f = new Foreign(e.getGrant().getLeaseId(), e.getHubId());
                tally.count("ledger listener", "others' grants seen");
                fresh.offer(f);
                synchronized (recentOthers) {
                    recentOthers.addFirst(f);
                    while (recentOthers.size() > RECENT_OTHERS) {
                        recentOthers.removeLast();
                    }
                }
            }
        }
    }

    private List<Foreign> recentOthers(int max) {
        synchronized (recentOthers) {
            return recentOthers.stream().limit(max).toList();
        }
    }

    // ------------------------------------------------------------------ FLOOD

    private void floodHigh() {
        long tokens = switch ((int) (floods.incrementAndGet() % 3)) {
            case 0 -> keyTokenLimit;
            case 1 -> callTokens;
            default -> 1;
        };
        acquire("flood: acquire HIGH", anyAcquireSubject(), tokens, Priority.HIGH, held);
    }

    private String anyAcquireSubject() {
        List<String> hubs = new ArrayList<>(hubUrls.keySet());
        int pick = random.nextInt(hubs.size() + 1);
        return pick == hubs.size() ? Subjects.ACQUIRE : Subjects.hubAcquire(hubs.get(pick));
    }

    /** Asks for a lease; a grant goes into {@code into}. */
    private CompletableFuture<Own> acquire(String attack, String subject, long tokens, Priority priority, Map<String, Own> into) {
        AcquireRequest req = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId(agentId)
                .setPool(pool).setTokens(tokens).setPriority(priority).setDeadlineEpochMs(System.currentTimeMillis() + 1_000).build();
        return nc.requestWithTimeout(subject, req.toByteArray(), ANSWER_WITHIN).handle((m, error) -> {
            if (error != null) {
                tally.count(attack, "no answer");
                return null;
            }
            try {
                AcquireReply r = AcquireReply.parseFrom(m.getData());
                if (!r.getNotice().isEmpty()) {
                    tally.count(attack, "notice");
                }
                if (r.hasGranted()) {
                    tally.count(attack, "granted");
                    Own lease = new Own(r.getGranted().getLeaseId(), r.getGranted().getLeaseSecret(), r.getHubId(), r.getGranted().getKeyId(),
                            r.getGranted().getExpiresAtEpochMs());
                    into.put(lease.leaseId(), lease);
                    return lease;
                }
                tally.count(attack, r.hasRefused() ? "refused " + r.getRefused().getCode() : "error " + r.getError().getCode());
            } catch (InvalidProtocolBufferException e) {
                tally.count(attack, "unparsable answer");
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ OVERFLOW

    private void overflowOverNats() {
        acquire("overflow: acquire", anyAcquireSubject(), callTokens, Priority.HIGH, own).thenAccept(lease -> {
            if (lease != null) {
                overflowSettle(lease);
            }
        });
    }

    /** Every lease it holds that is still open (as far as it knows), settled again with Long.MAX_VALUE. */
    private void overflowHeld() {
        long now = System.currentTimeMillis();
        own.values().removeIf(l -> l.expiresAtMs() > 0 && l.expiresAtMs() < now);
        held.values().removeIf(l -> l.expiresAtMs() > 0 && l.expiresAtMs() < now);
        own.values().forEach(this::overflowSettle);
        held.values().forEach(this::overflowSettle);
    }

    private void overflowSettle(Own lease) {
        long tokens = overflowTokens(lease.hubId(), lease.keyId());
        SettleRequest s = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setLeaseId(lease.leaseId())
                .setAgentId(agentId).setTokensUsed(tokens).setOutcome(Outcome.OK).setLeaseSecret(lease.secret())
                .setDeadlineEpochMs(System.currentTimeMillis() + 1_000).build();
        String subject = random.nextBoolean() || lease.hubId().isEmpty() ? Subjects.SETTLE : Subjects.hubSettle(lease.hubId());
        settle("overflow: settle " + tokensText(tokens) + " (NATS)", subject, s).thenAccept(settled -> {
            if (settled) {
                own.remove(lease.leaseId());
                held.remove(lease.leaseId());
            } else {
                overflowNotTaken(lease.hubId(), lease.keyId(), tokens);
            }
        });
    }

    /**
     * Long.MAX_VALUE, unless one is still counted in the window of the same key at the same
     * granting hub: a wrapping sum of two of them is back near where it was (2 × MAX = -2), one
     * keeps it wrapped. Then just over the pool's bound, which a hub must refuse as well.
     */
    private long overflowTokens(String hubId, String keyId) {
        long now = System.currentTimeMillis();
        boolean[] wrap = {false};
        wrapSentAt.compute(hubId + "/" + keyId, (k, at) -> {
            if (at == null || now - at > windowMillis) {
                wrap[0] = true;
                return now;
            }
            return at;
        });
        return wrap[0] ? Long.MAX_VALUE : callTokens + 1;
    }

    /** A Long.MAX_VALUE settle the hub did not take counts nowhere: the next one may go. */
    private void overflowNotTaken(String hubId, String keyId, long tokens) {
        if (tokens == Long.MAX_VALUE) {
            wrapSentAt.remove(hubId + "/" + keyId);
        }
    }

    private String tokensText(long tokens) {
        return tokens == Long.MAX_VALUE ? "Long.MAX_VALUE" : "max-tokens-per-call + 1";
    }

    /**
     * An overflowing complete over HTTP: of a lease acquired over HTTP (on the handle the acquire
     * returned), or, when the hub refuses it one (it holds its share), of a lease it holds from
     * NATS (handle {@code <lease id>.<lease secret>}, the bare id where there is no secret).
     */
    private void overflowOverHttp() {
        List<String> hubs = new ArrayList<>(hubUrls.keySet());
        String hub = hubs.get(random.nextInt(hubs.size()));
        HttpResponse<String> r = post(hubUrls.get(hub) + "/api/v1/acquire", "{\"pool\":\"" + pool + "\",\"tokens\":" + callTokens
                + ",\"priority\":\"HIGH\",\"agentId\":\"" + agentId + "\"}");
        tally.count("overflow: acquire (HTTP)", r == null ? "no answer" : "http " + r.statusCode());
        String handle;
        String keyId;
        if (r != null && r.statusCode() == 200) {
            Map<String, Object> lease = ChaosJson.obj(ChaosJson.parse(r.body()));
            handle = String.valueOf(lease.get("leaseId"));
            keyId = String.valueOf(lease.get("keyId"));
        } else {
            Own lease = java.util.stream.Stream.concat(own.values().stream(), held.values().stream())
                    .filter(l -> hubUrls.containsKey(l.hubId())).findAny().orElse(null);
            if (lease == null) {
                return;
            }
            hub = lease.hubId();
            keyId = lease.keyId();
            handle = lease.secret().isEmpty() ? lease.leaseId() : lease.leaseId() + "." + lease.secret();
        }
        long tokens = overflowTokens(hub, keyId);
        HttpResponse<String> c = post(hubUrls.get(hub) + "/api/v1/leases/" + handle + "/complete",
                "{\"tokensUsed\":" + tokens + ",\"outcome\":\"OK\"}");
        String answer = httpAnswer(c);
        tally.count("overflow: complete " + tokensText(tokens) + " (HTTP)", answer);
        if (!answer.equals("http 200 settled")) {
            overflowNotTaken(hub, keyId, tokens);
        }
    }

    // ------------------------------------------------------------------ FORGE

    private void forgeSettles() {
        for (int i = 0; i < 10; i++) {
            Foreign f = fresh.poll();
            if (f == null) {
                return;
            }
            long n = forgeries.incrementAndGet();
            for (int k = 0; k < 2; k++) {
                Outcome outcome = switch ((int) ((n + k) % 3)) {
                    case 0 -> Outcome.RATE_LIMITED;
                    case 1 -> Outcome.AUTH_FAILED;
                    default -> Outcome.ERROR;
                };
                boolean wrongSecret = k == 1;
                SettleRequest.Builder s = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString())
                        .setLeaseId(f.leaseId()).setAgentId(agentId).setTokensUsed(1).setOutcome(outcome)
                        .setDeadlineEpochMs(System.currentTimeMillis() + 1_000);
                if (outcome == Outcome.RATE_LIMITED) {
                    s.setRetryAfterMs(TEN_YEARS_MS);
                }
                if (outcome == Outcome.ERROR) {
                    s.setDetail("forged");
                }
                if (wrongSecret) {
                    s.setLeaseSecret(wrongSecret());
                }
                String subject = random.nextBoolean() ? Subjects.SETTLE : Subjects.hubSettle(f.hubId());
                settle("forge: settle " + outcome + (wrongSecret ? " wrong secret" : " no secret") + " (NATS)", subject, s.build());
            }
            if (n % 3 == 0) {
                timers.execute(() -> forgeOverHttp(f, n));
            }
        }
    }

    private void forgeOverHttp(Foreign f, long n) {
        String base = hubUrls.getOrDefault(f.hubId(), hubUrls.values().iterator().next());
        boolean wrongSecret = n % 2 == 0;
        String handle = wrongSecret ? f.leaseId() + "." + wrongSecret() : f.leaseId();
        String body = switch ((int) (n % 9 / 3)) {
            case 0 -> "{\"tokensUsed\":1,\"outcome\":\"RATE_LIMITED\",\"retryAfterMs\":" + TEN_YEARS_MS + "}";
            case 1 -> "{\"tokensUsed\":1,\"outcome\":\"AUTH_FAILED\"}";
            default -> "{\"tokensUsed\":1,\"outcome\":\"ERROR\",\"detail\":\"forged\"}";
        };
        HttpResponse<String> r = post(base + "/api/v1/leases/" + handle + "/complete", body);
        tally.count("forge: complete " + (wrongSecret ? "wrong secret" : "bare lease id") + " (HTTP)", httpAnswer(r));
    }

    /** "http 403", or for a 200 whether it settled the lease ("http 200 settled" / "http 200 already settled"). */
    private static String httpAnswer(HttpResponse<String> r) {
        if (r == null) {
            return "no answer";
        }
        if (r.statusCode() != 200) {
            return "http " + r.statusCode();
        }
        try {
            Object settled = ChaosJson.obj(ChaosJson.parse(r.body())).get("settled");
            return "http 200" + (Boolean.FALSE.equals(settled) ? " already settled" : " settled");
        } catch (RuntimeException notJson) {
            return "http 200";
        }
    }

    private String wrongSecret() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    // ------------------------------------------------------------------ HEARTBEAT

    /** Padding of fake lease ids and of fake LeaseProofs, each about 1 MB less room for the real ids. */
    private void buildPadding() {
        long max = Math.min(nc.getMaxPayload(), 1_048_576);
        int room = (int) max - 64 * 1024; // the real ids listed in front take at most ~40 KB
        ByteArrayOutputStream ids = new ByteArrayOutputStream();
        ByteArrayOutputStream proofs = new ByteArrayOutputStream();
        for (int i = 0; ids.size() < room; i++) {
            ids.writeBytes(Heartbeat.newBuilder().addLeaseIds("main-" + Long.toString(i, 36) + "-" + Long.toString(i * 7919L, 36))
                    .build().toByteArray());
        }
        for (int i = 0; proofs.size() < room; i++) {
            proofs.writeBytes(Heartbeat.newBuilder().addLeases(LeaseProof.newBuilder().setLeaseId("edge-" + Long.toString(i, 36))
                    .setLeaseSecret(Long.toString(i * 104_729L, 36))).build().toByteArray());
        }
        idPadding = ids.toByteArray();
        proofPadding = proofs.toByteArray();
        hugeAgentId = "hostile-".repeat(room / 8);
    }

    private void oversizedHeartbeat() {
        long n = heartbeats.incrementAndGet();
        List<Foreign> others = recentOthers(RECENT_OTHERS);
        Heartbeat.Builder head = Heartbeat.newBuilder().setSentAtEpochMs(System.currentTimeMillis());
        byte[] padding;
        String kind;
        switch ((int) (n % 3)) {
            case 0 -> { // a new agent that lists the others' leases, then falls silent
                head.setAgentId(agentId + "-hb-" + n);
                others.forEach(f -> head.addLeaseIds(f.leaseId()));
                padding = idPadding;
                kind = "others' lease ids";
            }
            case 1 -> { // the same, as proofs with wrong secrets
                head.setAgentId(agentId + "-hb-" + n);
                others.forEach(f -> head.addLeases(LeaseProof.newBuilder().setLeaseId(f.leaseId()).setLeaseSecret(wrongSecret())));
                padding = proofPadding;
                kind = "LeaseProofs with wrong secrets";
            }
            default -> { // a 1 MB agent id
                head.setAgentId(n + hugeAgentId);
                others.forEach(f -> head.addLeaseIds(f.leaseId()));
                padding = new byte[0];
                kind = "1 MB agent id";
            }
        }
        byte[] front = head.build().toByteArray();
        // protobuf messages concatenate: the padding's repeated entries append to the list
        byte[] bytes = new byte[front.length + padding.length];
        System.arraycopy(front, 0, bytes, 0, front.length);
        System.arraycopy(padding, 0, bytes, front.length, padding.length);
        if (bytes.length > nc.getMaxPayload()) {
            tally.count("heartbeat ~1 MB: " + kind, "too big to send");
            return;
        }
        nc.publish(Subjects.HEARTBEAT, bytes);
        tally.count("heartbeat ~1 MB: " + kind, "sent");
    }

    // ------------------------------------------------------------------ GARBAGE

    private void garbage() {
        String subject = subjects.get(random.nextInt(subjects.size()));
        long now = System.currentTimeMillis();
        byte[] body;
        String what;
        if (random.nextBoolean()) {
            body = payloads.garbage();
            what = "garbage bytes";
        } else if (subject.endsWith("acquire")) {
            body = payloads.mutatedAcquire(now);
            what = "mutated AcquireRequest";
        } else if (subject.endsWith("settle")) {
            List<Foreign> others = recentOthers(8);
            Own mine = own.values().stream().findAny().orElse(null);
            body = mine != null && random.nextBoolean() ? payloads.mutatedSettle(mine.leaseId(), mine.secret(), now)
                    : payloads.mutatedSettle(others.isEmpty() ? "main-0-0" : others.get(random.nextInt(others.size())).leaseId(), null, now);
            what = "mutated SettleRequest";
        } else {
            body = payloads.mutatedHeartbeat(recentOthers(8).stream().map(Foreign::leaseId).toList(), now);
            what = "mutated Heartbeat";
        }
        String attack = "garbage: " + what;
        if (random.nextBoolean()) {
            nc.publish(subject, body);
            tally.count(attack, "published without reply subject");
            return;
        }
        nc.requestWithTimeout(subject, body, ANSWER_WITHIN).whenComplete((m, error) -> {
            if (error != null) {
                tally.count(attack, subject.equals(Subjects.HEARTBEAT) ? "no answer (heartbeats have none)" : "no answer");
            } else {
                tally.count(attack, "answer " + answerCode(subject, m.getData()));
            }
        });
    }

    /** The error code (or result) of a hub's answer to an acquire or settle. */
    private static String answerCode(String subject, byte[] data) {
        try {
            if (subject.endsWith("acquire")) {
                AcquireReply r = AcquireReply.parseFrom(data);
                return r.hasGranted() ? "granted" : r.hasRefused() ? "refused " + r.getRefused().getCode() : r.getError().getCode();
            }
            SettleReply r = SettleReply.parseFrom(data);
            return r.hasError() ? r.getError().getCode() : r.getSettled() ? "settled" : "already settled";
        } catch (InvalidProtocolBufferException e) {
            return "unparsable";
        }
    }

    // ------------------------------------------------------------------ plumbing

    /** Sends a settle; completes with whether the hub settled it (for the first time). */
    private CompletableFuture<Boolean> settle(String attack, String subject, SettleRequest s) {
        return nc.requestWithTimeout(subject, s.toByteArray(), ANSWER_WITHIN).handle((m, error) -> {
            if (error != null) {
                tally.count(attack, "no answer");
                return false;
            }
            String code = answerCode(subject, m.getData());
            tally.count(attack, code);
            return code.equals("settled");
        });
    }

    private HttpResponse<String> post(String url, String json) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(ANSWER_WITHIN).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + httpToken)
                    .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | IllegalArgumentException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public Tally tally() {
        return tally;
    }

    /** Its overflowing and forged settles that a hub took (answered "settled"), by attack; none is the aim. */
    public Map<String, Long> acceptedSettles() {
        return tally.counts(attack -> attack.startsWith("overflow: settle") || attack.startsWith("overflow: complete")
                || attack.startsWith("forge:"), answer -> answer.equals("settled") || answer.equals("http 200 settled"));
    }

    /** Leases it holds (granted, not settled by the hub, not yet expired), as far as it knows. */
    public int held() {
        long now = System.currentTimeMillis();
        return (int) java.util.stream.Stream.concat(own.values().stream(), held.values().stream())
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
