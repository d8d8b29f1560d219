package io.quotahub.chaos.hostile;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.quotahub.chaos.ChaosJson;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * What the hostile agent's attacks share: its one agent id and NATS connection, plain HTTP with an
 * AGENT token, the seed's random (one sequence for all attacks, so a seed replays them), the tally,
 * the leases it holds, and what it learns of other agents' leases by listening to the ledgers.
 */
final class HostileWire {

    static final Duration ANSWER_WITHIN = Duration.ofMillis(1_500);
    static final int RECENT_OTHERS = 512;

    /** A lease of its own. */
    record Own(String leaseId, String secret, String hubId, String keyId, long expiresAtMs) {
    }

    /** Another agent's lease, learnt from a ledger. */
    record Foreign(String leaseId, String hubId) {
    }

    final String agentId;
    final String pool;
    final Map<String, String> hubUrls;
    final Random random;
    final Tally tally = new Tally();
    final Connection nc;
    /** Leases of the overflow attack: settled with Long.MAX_VALUE, again and again while open. */
    final Map<String, Own> own = new ConcurrentHashMap<>();
    /** Leases of the flood: held, never settled. */
    final Map<String, Own> held = new ConcurrentHashMap<>();
    /** Others' grants not attacked yet. */
    final BlockingQueue<Foreign> fresh = new LinkedBlockingQueue<>(1_000);
    private final Deque<Foreign> recentOthers = new ArrayDeque<>();
    private final String httpToken;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    HostileWire(String agentId, String pool, Map<String, String> hubUrls, String httpToken, Random random, Connection nc) {
        this.agentId = agentId;
        this.pool = pool;
        this.hubUrls = Map.copyOf(hubUrls);
        this.httpToken = httpToken;
        this.random = random;
        this.nc = nc;
    }

    // ------------------------------------------------------------------ what a LAN listener learns

    /** Grants in the ledgers name other agents' lease ids (and, today, nothing proves who holds them). */
    void onLedger(Message m) {
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

    List<Foreign> recentOthers(int max) {
        synchronized (recentOthers) {
            return recentOthers.stream().limit(max).toList();
        }
    }

    // ------------------------------------------------------------------ NATS

    /** The shared acquire subject or one hub's direct one, at random. */
    String anyAcquireSubject() {
        List<String> hubs = new ArrayList<>(hubUrls.keySet());
        int pick = random.nextInt(hubs.size() + 1);
        return pick == hubs.size() ? Subjects.ACQUIRE : Subjects.hubAcquire(hubs.get(pick));
    }

    /** Asks for a lease; a grant goes into {@code into}. */
    CompletableFuture<Own> acquire(String attack, String subject, long tokens, Priority priority, Map<String, Own> into) {
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
                tally.count(attack, r.hasRefused() ? "refused " + r.getRefused().getRefusalCode().name()
                        : "error " + r.getError().getErrorCode().name());
            } catch (InvalidProtocolBufferException e) {
                tally.count(attack, "unparsable answer");
            }
            return null;
        });
    }

    /** Sends a settle; completes with whether the hub settled it (for the first time). */
    CompletableFuture<Boolean> settle(String attack, String subject, SettleRequest s) {
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

    /** The error code (or result) of a hub's answer to an acquire or settle. */
    static String answerCode(String subject, byte[] data) {
        try {
            if (subject.endsWith("acquire")) {
                AcquireReply r = AcquireReply.parseFrom(data);
                return r.hasGranted() ? "granted" : r.hasRefused() ? "refused " + r.getRefused().getRefusalCode().name() : r.getError().getErrorCode().name();
            }
            SettleReply r = SettleReply.parseFrom(data);
            return r.hasError() ? r.getError().getErrorCode().name() : r.getSettled() ? "settled" : "already settled";
        } catch (InvalidProtocolBufferException e) {
            return "unparsable";
        }
    }

    String wrongSecret() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    // ------------------------------------------------------------------ HTTP

    /** POSTs a JSON document with its AGENT token; null when no answer came. */
    HttpResponse<String> post(String url, Map<String, Object> json) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(ANSWER_WITHIN).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + httpToken)
                    .POST(HttpRequest.BodyPublishers.ofString(ChaosJson.write(json), StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException | IllegalArgumentException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** "http 403", or for a 200 whether it settled the lease ("http 200 settled" / "http 200 already settled"). */
    static String httpAnswer(HttpResponse<String> r) {
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

    /** A JSON object of name, value pairs, in order. */
    static Map<String, Object> json(Object... nameValues) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            m.put((String) nameValues[i], nameValues[i + 1]);
        }
        return m;
    }
}
