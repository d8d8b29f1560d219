package io.quotahub.chaos.hostile;

import io.quotahub.chaos.ChaosJson;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * {@link HostileAgent.Attack#OVERFLOW}: settles of its own leases with {@code tokensUsed =
 * Long.MAX_VALUE} over NATS and HTTP, again for every lease it holds; in a sum that wraps, two
 * cancel out, so one per key and granting hub per window, and just over the pool's bound meanwhile.
 */
final class OverflowAttack {

    private final HostileWire wire;
    private final long callTokens;
    private final long windowMillis;
    /** When it last sent a Long.MAX_VALUE settle for a lease of (granting hub, key) that may still be in that key's window. */
    private final Map<String, Long> wrapSentAt = new ConcurrentHashMap<>();

    OverflowAttack(HostileWire wire, long callTokens, long windowMillis) {
        this.wire = wire;
        this.callTokens = callTokens;
        this.windowMillis = windowMillis;
    }

    /** A lease of its own (HIGH), settled at once with an overflowing count. */
    void overNats() {
        wire.acquire("overflow: acquire", wire.anyAcquireSubject(), callTokens, Priority.HIGH, wire.own).thenAccept(lease -> {
            if (lease != null) {
                settle(lease);
            }
        });
    }

    /** Every lease it holds that is still open (as far as it knows), settled again with Long.MAX_VALUE. */
    void held() {
        long now = System.currentTimeMillis();
        wire.own.values().removeIf(l -> l.expiresAtMs() > 0 && l.expiresAtMs() < now);
        wire.held.values().removeIf(l -> l.expiresAtMs() > 0 && l.expiresAtMs() < now);
        wire.own.values().forEach(this::settle);
        wire.held.values().forEach(this::settle);
    }

    private void settle(HostileWire.Own lease) {
        long tokens = tokens(lease.hubId(), lease.keyId());
        SettleRequest s = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setLeaseId(lease.leaseId())
                .setAgentId(wire.agentId).setTokensUsed(tokens).setOutcome(Outcome.OK).setLeaseSecret(lease.secret())
                .setDeadlineEpochMs(System.currentTimeMillis() + 1_000).build();
        String subject = wire.random.nextBoolean() || lease.hubId().isEmpty() ? Subjects.SETTLE : Subjects.hubSettle(lease.hubId());
        wire.settle("overflow: settle " + tokensText(tokens) + " (NATS)", subject, s).thenAccept(settled -> {
            if (settled) {
                wire.own.remove(lease.leaseId());
                wire.held.remove(lease.leaseId());
            } else {
                notTaken(lease.hubId(), lease.keyId(), tokens);
            }
        });
    }

    /**
     * Long.MAX_VALUE, unless one is still counted in the window of the same key at the same
     * granting hub: a wrapping sum of two of them is back near where it was (2 × MAX = -2), one
     * keeps it wrapped. Then just over the pool's bound, which a hub must refuse as well.
     */
    private long tokens(String hubId, String keyId) {
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
    private void notTaken(String hubId, String keyId, long tokens) {
        if (tokens == Long.MAX_VALUE) {
            wrapSentAt.remove(hubId + "/" + keyId);
        }
    }

    private static String tokensText(long tokens) {
        return tokens == Long.MAX_VALUE ? "Long.MAX_VALUE" : "max-tokens-per-call + 1";
    }

    /**
     * An overflowing complete over HTTP: of a lease acquired over HTTP (on the handle the acquire
     * returned), or, when the hub refuses it one (it holds its share), of a lease it holds from
     * NATS (handle {@code <lease id>.<lease secret>}, the bare id where there is no secret).
     */
    void overHttp() {
        List<String> hubs = new ArrayList<>(wire.hubUrls.keySet());
        String hub = hubs.get(wire.random.nextInt(hubs.size()));
        HttpResponse<String> r = wire.post(wire.hubUrls.get(hub) + "/api/v1/acquire",
                HostileWire.json("pool", wire.pool, "tokens", callTokens, "priority", "HIGH", "agentId", wire.agentId));
        wire.tally.count("overflow: acquire (HTTP)", r == null ? "no answer" : "http " + r.statusCode());
        String handle;
        String keyId;
        if (r != null && r.statusCode() == 200) {
            Map<String, Object> lease = ChaosJson.obj(ChaosJson.parse(r.body()));
            handle = String.valueOf(lease.get("leaseId"));
            keyId = String.valueOf(lease.get("keyId"));
        } else {
            HostileWire.Own lease = Stream.concat(wire.own.values().stream(), wire.held.values().stream())
                    .filter(l -> wire.hubUrls.containsKey(l.hubId())).findAny().orElse(null);
            if (lease == null) {
                return;
            }
            hub = lease.hubId();
            keyId = lease.keyId();
            handle = lease.secret().isEmpty() ? lease.leaseId() : lease.leaseId() + "." + lease.secret();
        }
        long tokens = tokens(hub, keyId);
        HttpResponse<String> c = wire.post(wire.hubUrls.get(hub) + "/api/v1/leases/" + handle + "/complete",
                HostileWire.json("tokensUsed", tokens, "outcome", "OK"));
        String answer = HostileWire.httpAnswer(c);
        wire.tally.count("overflow: complete " + tokensText(tokens) + " (HTTP)", answer);
        if (!answer.equals("http 200 settled")) {
            notTaken(hub, keyId, tokens);
        }
    }
}
