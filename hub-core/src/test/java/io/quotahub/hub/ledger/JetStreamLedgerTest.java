package io.quotahub.hub.ledger;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.quotahub.proto.Fence;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The ledger on a real nats-server's JetStream (the contract), plus what only JetStream can do. */
class JetStreamLedgerTest extends LedgerContractTest {

    private NatsServer nats;
    private final List<Connection> connections = new ArrayList<>();

    @BeforeEach
    void startNats() {
        nats = NatsServer.start();
    }

    @AfterEach
    void stopNats() throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
        nats.close();
    }

    private Connection connect() {
        try {
            Connection c = Nats.connect(nats.url());
            connections.add(c);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    Ledger newLedger(java.util.function.LongSupplier peerCursor) {
        Ledger ledger = reopen();
        ledger.replay(b -> { }, peerCursor);
        return ledger;
    }

    @Override
    Ledger reopen() {
        try {
            return new JetStreamLedger(connect(), "main", Duration.ofSeconds(5));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The peer's fence: an append on the fence subject that expects the ledger's current last sequence. */
    @Override
    void fenceFromOutside() {
        try {
            Connection peer = connect();
            long last = peer.jetStreamManagement().getStreamInfo(Subjects.ledgerStream("main")).getStreamState().getLastSequence();
            byte[] fence = LedgerBatch.newBuilder().addEvents(LedgerEvent.newBuilder().setHubId("edge")
                    .setFence(Fence.newBuilder().setByHub("edge").setFencedAfterSeq(last))).build().toByteArray();
            peer.jetStream().publish(Subjects.ledgerFence("main"), fence, PublishOptions.builder().expectedLastSequence(last).build());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void underLoadManyGrantsShareOneLedgerMessage() throws Exception {
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        try (Ledger ledger = newLedger()) {
            for (int i = 0; i < 5000; i++) {
                acks.add(ledger.append(grant(i)));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }

        long messages = connect().jetStreamManagement().getStreamInfo(Subjects.ledgerStream("main")).getStreamState().getMsgCount();
        assertThat(messages).isLessThan(5000);
        try (Ledger again = reopen()) {
            assertThat(leaseIds(again)).hasSize(5000);
        }
    }

    @Test
    void anAppendWhoseAcknowledgementWasLostIsConfirmedLaterAndStoredOnce() throws Exception {
        Ledger ledger = new JetStreamLedger(connect(), "main", Duration.ofMillis(500));
        try {
            ledger.replay(b -> { }, () -> 0);
            ledger.append(grant(1)).get(10, TimeUnit.SECONDS);
            nats.pause();
            CompletableFuture<Long> lost = ledger.append(grant(2));
            Thread.sleep(1500); // the acknowledgement times out while the server hangs
            // Never failed: the append may be stored. (On a loaded machine the server may even have
            // stored and acknowledged it before SIGSTOP took hold: then it is done, with its sequence.)
            assertThat(lost.isCompletedExceptionally()).as("a lost acknowledgement must not fail the append").isFalse();

            nats.resume();

            assertThat(lost.get(15, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(ledger.append(grant(3)).get(10, TimeUnit.SECONDS)).isEqualTo(3);
        } finally {
            ledger.close();
        }
        try (Ledger again = reopen()) {
            assertThat(leaseIds(again)).containsExactly("main-1", "main-2", "main-3");
        }
    }

    @Test
    void withNatsDownAnAppendFailsAtOnceAndAfterItReturnsAppendsWorkAgain() throws Exception {
        try (Ledger ledger = newLedger()) {
            ledger.append(grant(1)).get(10, TimeUnit.SECONDS);
            nats.kill();
            Thread.sleep(200);

            CompletableFuture<Long> whileDown = ledger.append(grant(2));
            assertThat(whileDown).failsWithin(Duration.ofSeconds(10));

            nats.startAgain();
            long deadline = System.currentTimeMillis() + 15_000;
            boolean appended = false;
            while (!appended && System.currentTimeMillis() < deadline) {
                try {
                    ledger.append(grant(3)).get(5, TimeUnit.SECONDS);
                    appended = true;
                } catch (Exception retry) {
                    Thread.sleep(200);
                }
            }
            assertThat(appended).isTrue();
            assertThat(ledger.fenced()).isFalse();
        }
        try (Ledger again = reopen()) {
            assertThat(leaseIds(again)).contains("main-1", "main-3").doesNotContain("main-2");
        }
    }
}
