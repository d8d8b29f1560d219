package io.quotahub.bench;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * The raw NATS floors under an acquire, on one nats-server: (a) a core-NATS request-reply to a
 * trivial echo responder (a dispatcher on a second connection in this JVM), (b) a synchronous
 * JetStream publish+ack to a scratch file-storage stream, and (c) both in series, as a durable
 * acquire needs them: a request-reply whose responder first publishes the request to the scratch
 * stream and answers on the ack (no logic, no batching, no SDK). Closed loop, one in flight. Used by
 * {@link AcquireLatencyBench} and {@link TwoHubBench}; {@link #close()} deletes the scratch stream and
 * closes both connections.
 */
final class NatsFloors implements AutoCloseable {

    /** Payload of the raw floors: about the size of an acquire request / a ledger grant event. */
    static final int PAYLOAD_BYTES = 160;

    private static final String ECHO = "bench.echo";
    private static final String DURABLE_ECHO = "bench.durable-echo";
    private static final String SCRATCH_STREAM = "BENCH_SCRATCH";
    private static final String SCRATCH_SUBJECT = "bench.scratch";

    private final Connection requester;
    private final Connection responder;
    private final Dispatcher dispatcher;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final byte[] payload = new byte[PAYLOAD_BYTES];

    NatsFloors(String url) throws Exception {
        this.requester = connect(url, "bench-requester");
        this.responder = connect(url, "bench-responder");
        new SecureRandom().nextBytes(payload);
        this.jsm = requester.jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name(SCRATCH_STREAM).subjects(SCRATCH_SUBJECT)
                .storageType(StorageType.File).build());
        this.js = requester.jetStream();
        JetStream responderJs = responder.jetStream();
        this.dispatcher = responder.createDispatcher(msg -> responder.publish(msg.getReplyTo(), msg.getData()));
        dispatcher.subscribe(ECHO);
        dispatcher.subscribe(DURABLE_ECHO, msg -> responderJs.publishAsync(SCRATCH_SUBJECT, msg.getData())
                .whenComplete((ack, e) -> {
                    if (e == null) {
                        responder.publish(msg.getReplyTo(), msg.getData());
                    }
                }));
        responder.flush(Duration.ofSeconds(5));
    }

    private static Connection connect(String url, String name) throws IOException, InterruptedException {
        return Nats.connect(new Options.Builder().server(url).connectionName(name).build());
    }

    /** {@code n} request-replies; each round trip recorded in {@code into} (ns) unless it is null. */
    void requestReply(int n, Histogram into) throws Exception {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            var reply = requester.request(ECHO, payload, Duration.ofSeconds(5));
            long dt = System.nanoTime() - t0;
            if (reply == null) {
                throw new IllegalStateException("no reply from the echo responder within 5 s");
            }
            Stats.record(into, dt);
        }
    }

    /** {@code n} publish+acks; each recorded in {@code into} (ns) unless it is null. */
    void publishAck(int n, Histogram into) throws Exception {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            js.publish(SCRATCH_SUBJECT, payload);
            long dt = System.nanoTime() - t0;
            Stats.record(into, dt);
        }
    }

    /** One asynchronous request-reply to the echo responder (open-loop floor); fails after 5 s. */
    java.util.concurrent.CompletableFuture<?> requestAsync() {
        return requester.request(ECHO, payload).orTimeout(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    /**
     * One asynchronous request to the durable echo (request-reply + publish+ack in series, the
     * floor of one durable acquire); fails after 5 s.
     */
    java.util.concurrent.CompletableFuture<?> durableRequestAsync() {
        return requester.request(DURABLE_ECHO, payload).orTimeout(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** One asynchronous JetStream publish to the scratch stream; completes on its ack. */
    java.util.concurrent.CompletableFuture<?> publishAsync() {
        return js.publishAsync(SCRATCH_SUBJECT, payload).orTimeout(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    /**
     * Raw asynchronous JetStream publishing as fast as acks come back: {@code n} messages, at most
     * {@code window} unacknowledged; returns acknowledged messages per second.
     */
    double publishAsyncThroughput(int n, int window) throws Exception {
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(window);
        java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            slots.acquire();
            js.publishAsync(SCRATCH_SUBJECT, payload).whenComplete((ack, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                }
                slots.release();
            });
        }
        slots.acquire(window);
        long dt = System.nanoTime() - t0;
        slots.release(window);
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " async publishes failed");
        }
        return n / (dt / 1e9);
    }

    @Override
    public void close() throws Exception {
        try {
            jsm.deleteStream(SCRATCH_STREAM);
        } finally {
            requester.close();
            responder.close();
        }
    }
}
