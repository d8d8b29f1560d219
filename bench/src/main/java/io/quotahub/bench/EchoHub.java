package io.quotahub.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Granted;
import io.quotahub.proto.HubAnnouncement;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A hub that answers at once, with no engine and no ledger: grants every acquire and accepts every
 * settle, announcing itself as a real hub does. Run by {@link SdkCpu} as its own process so that the
 * generator JVM's CPU is the client's alone — the SDK's or, for the floor, raw jnats requests'.
 *
 * <pre>java -cp bench.jar io.quotahub.bench.EchoHub nats://127.0.0.1:4222</pre>
 */
public final class EchoHub {

    static final String ID = "main";

    private EchoHub() {
    }

    public static void main(String[] args) throws Exception {
        Connection c = serve(args[0], 0, 0);
        System.out.println("ready");
        System.out.flush();
        while (true) {
            announce(c);
            Thread.sleep(1000);
        }
    }

    /**
     * Serves acquires and settles on {@code url} from a connection of its own (closing it stops the
     * hub) and announces itself once. A request for a block gets {@code blockCalls} calls (the asked
     * number when 0) usable for {@code blockLifeMs}; without them blocks are 2 s.
     */
    static Connection serve(String url, int blockCalls, long blockLifeMs) throws Exception {
        Connection c = Nats.connect(new Options.Builder().server(url).connectionName("bench-echo-hub").build());
        AtomicLong leases = new AtomicLong();
        int calls = Math.max(0, blockCalls);
        long life = blockLifeMs > 0 ? blockLifeMs : 2_000;
        Dispatcher acquires = c.createDispatcher(msg -> acquire(c, msg, leases.incrementAndGet(), calls, life));
        acquires.subscribe(Subjects.ACQUIRE, Subjects.HUB_QUEUE);
        acquires.subscribe(Subjects.hubAcquire(ID));
        Dispatcher settles = c.createDispatcher(msg -> settle(c, msg));
        settles.subscribe(Subjects.SETTLE, Subjects.HUB_QUEUE);
        settles.subscribe(Subjects.hubSettle(ID));
        c.flush(java.time.Duration.ofSeconds(5));
        announce(c);
        return c;
    }

    static void announce(Connection c) {
        c.publish(Subjects.HUBS, HubAnnouncement.newBuilder().setHubId(ID).setReady(true)
                .setSentAtEpochMs(System.currentTimeMillis()).build().toByteArray());
    }

    private static void acquire(Connection c, Message msg, long n, int blockCalls, long blockLifeMs) {
        try {
            AcquireRequest r = AcquireRequest.parseFrom(msg.getData());
            Granted.Builder g = Granted.newBuilder().setLeaseId("L" + n).setPool(r.getPool()).setKeyId("k1")
                    .setApiKey("sk-echo").setLeaseSecret("s" + n).setTokens(r.getTokens())
                    .setExpiresAtEpochMs(System.currentTimeMillis() + 60_000);
            if (r.getBlockCalls() > 0) {
                int calls = blockCalls > 0 ? blockCalls : r.getBlockCalls();
                g.setBlockCalls(calls).setTokens(r.getTokens() * calls).setBlockExpiresInMs(blockLifeMs)
                        .setExpiresAtEpochMs(System.currentTimeMillis() + blockLifeMs);
            }
            c.publish(msg.getReplyTo(), AcquireReply.newBuilder().setRequestId(r.getRequestId()).setHubId(ID)
                    .setGranted(g).build().toByteArray());
        } catch (InvalidProtocolBufferException e) {
            // not ours
        }
    }

    private static void settle(Connection c, Message msg) {
        try {
            SettleRequest r = SettleRequest.parseFrom(msg.getData());
            c.publish(msg.getReplyTo(), SettleReply.newBuilder().setRequestId(r.getRequestId()).setHubId(ID)
                    .build().toByteArray());
        } catch (InvalidProtocolBufferException e) {
            // not ours
        }
    }
}
