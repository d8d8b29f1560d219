package io.quotahub.hub.fuzz;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.nats.client.Message;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The valid traffic between hostile batches: acquires and settles over NATS and HTTP that must
 * succeed and change the engine's state. Keeps a few leases open, so that hostile batches have
 * leases to forge settles and heartbeats for.
 */
final class HonestAgent {

    static final String NATS_AGENT = "honest-nats";
    static final String HTTP_AGENT = "honest-http";
    private static final int KEEP_OPEN = 4;

    private final FuzzHub hub;
    private final JsonMapper json = JsonMapper.createDefault();
    /** Open leases, oldest first. */
    private final List<HeldLease> open = new ArrayList<>();
    private int steps;

    HonestAgent(FuzzHub hub) {
        this.hub = hub;
    }

    /** Open leases by id, oldest first. */
    Map<String, HeldLease> open() {
        Map<String, HeldLease> byId = new LinkedHashMap<>();
        open.forEach(l -> byId.put(l.leaseId(), l));
        return byId;
    }

    List<HeldLease> openList() {
        return List.copyOf(open);
    }

    /**
     * One step of valid traffic: a grant (over NATS and HTTP in turn) and, once enough are open, a
     * settle of the oldest lease. Forgets leases the hub no longer holds open (a hostile message
     * may have settled them; the caller's state comparison reports that).
     */
    void step() {
        open.removeIf(l -> hub.engine().openLease(l.leaseId()).isEmpty());
        boolean overHttp = steps++ % 2 == 1;
        open.add(overHttp ? acquireHttp() : acquireNats());
        while (open.size() > KEEP_OPEN) {
            HeldLease oldest = open.remove(0);
            if (overHttp) {
                completeHttp(oldest);
            } else {
                settleNats(oldest);
            }
        }
    }

    /** Fills up to the number of open leases the hostile batches forge messages for. */
    void ensureOpen() {
        open.removeIf(l -> hub.engine().openLease(l.leaseId()).isEmpty());
        while (open.size() < KEEP_OPEN) {
            open.add(open.size() % 2 == 0 ? acquireNats() : acquireHttp());
        }
    }

    HeldLease acquireNats() {
        AcquireRequest request = AcquireRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setAgentId(NATS_AGENT)
                .setPool(FuzzHub.POOL).setTokens(10).setPriority(Priority.NORMAL)
                .setDeadlineEpochMs(System.currentTimeMillis() + 60_000).build();
        Message reply = hub.request(Subjects.ACQUIRE, request.toByteArray()).join();
        AcquireReply parsed = parseAcquire(reply);
        assertThat(parsed.hasGranted()).as("an honest acquire is granted: %s", parsed).isTrue();
        return new HeldLease(parsed.getGranted().getLeaseId(), parsed.getGranted().getLeaseSecret());
    }

    HeldLease acquireHttp() {
        HttpResponse<byte[]> r = hub.postJson("/api/v1/acquire", "{\"pool\":\"" + FuzzHub.POOL + "\",\"tokens\":10,\"agentId\":\""
                + HTTP_AGENT + "\",\"requestId\":\"" + UUID.randomUUID() + "\"}");
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as("an honest HTTP acquire is granted: %s", body).isEqualTo(200);
        return HeldLease.ofHandle((String) readMap(body).get("leaseId"));
    }

    void settleNats(HeldLease lease) {
        SettleRequest request = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setLeaseId(lease.leaseId())
                .setLeaseSecret(lease.secret()).setAgentId(NATS_AGENT).setTokensUsed(7).setOutcome(Outcome.OK)
                .setDeadlineEpochMs(System.currentTimeMillis() + 60_000).build();
        Message reply = hub.request(Subjects.SETTLE, request.toByteArray()).join();
        SettleReply parsed;
        try {
            parsed = SettleReply.parseFrom(reply.getData());
        } catch (IOException e) {
            throw new AssertionError("the settle reply is not a SettleReply", e);
        }
        assertThat(parsed.hasError()).as("an honest settle succeeds: %s", parsed).isFalse();
        assertThat(parsed.getSettled()).as("an honest settle settles: %s", parsed).isTrue();
    }

    void completeHttp(HeldLease lease) {
        HttpResponse<byte[]> r = hub.postJson("/api/v1/leases/" + lease.handle() + "/complete", "{\"tokensUsed\":7,\"outcome\":\"OK\"}");
        assertThat(r.statusCode()).as("an honest HTTP complete succeeds: %s", new String(r.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
    }

    private static AcquireReply parseAcquire(Message reply) {
        try {
            return AcquireReply.parseFrom(reply.getData());
        } catch (IOException e) {
            throw new AssertionError("the acquire reply is not an AcquireReply", e);
        }
    }

    private Map<String, Object> readMap(String body) {
        try {
            return json.readValue(body, Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
