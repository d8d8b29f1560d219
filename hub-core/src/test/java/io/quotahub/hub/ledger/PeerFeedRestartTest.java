package io.quotahub.hub.ledger;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.Subjects;
import io.quotahub.testkit.NatsPair;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * hub-edge's copy of main's ledger across a restart of the edge nats-server (kill -9, start
 * again): the copy stream sources again and the live feed delivers what main wrote meanwhile and
 * after, without a hub restart.
 */
class PeerFeedRestartTest {

    private static Connection connect(String url) throws Exception {
        return Nats.connect(Options.builder().server(url).maxReconnects(-1).reconnectWait(Duration.ofMillis(250))
                .pingInterval(Duration.ofSeconds(1)).build());
    }

    private static void publish(Connection main, long n) throws Exception {
        main.jetStream().publish("qh.ledger.main.b", LedgerBatch.newBuilder().setPeerSeq(n).build().toByteArray());
    }

    @Test
    void theFeedKeepsDeliveringAfterTheLocalServerRestarts() throws Exception {
        try (NatsPair pair = NatsPair.start(); Connection main = connect(pair.main().url());
                Connection edge = connect(pair.edge().url())) {
            JetStreamManagement jsm = main.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(Subjects.ledgerStream("main"))
                    .subjects(Subjects.ledgerSubjects("main")).storageType(StorageType.File).build());
            List<Long> seen = new CopyOnWriteArrayList<>();
            try (PeerFeed feed = new PeerFeed(edge, "main", "main")) {
                feed.follow(0, b -> seen.add(b.seq()));
                publish(main, 1);
                awaitTrue("first batch", () -> seen.contains(1L));

                long t0 = System.nanoTime();
                pair.edge().kill();
                publish(main, 2); // written while the copy's server is down
                pair.edge().startAgain();
                long restarted = System.nanoTime();
                JetStreamManagement edgeJsm = edge.jetStreamManagement();
                awaitTrue("the copy stream holds batch 2", () -> lastSeq(edgeJsm) >= 2);
                long copied = System.nanoTime();
                awaitTrue("batch written during the restart", () -> seen.contains(2L));
                long caughtUp = System.nanoTime();
                publish(main, 3);
                awaitTrue("batch written after the restart", () -> seen.contains(3L));
                System.out.printf("PeerFeed after an edge restart: restart took %d ms, batch 2 in the copy %d ms and "
                        + "delivered %d ms after it, batch 3 %d ms later%n", (restarted - t0) / 1_000_000,
                        (copied - restarted) / 1_000_000, (caughtUp - restarted) / 1_000_000,
                        (System.nanoTime() - caughtUp) / 1_000_000);
                assertThat(seen).containsExactly(1L, 2L, 3L);
            }
        }
    }

    private static long lastSeq(JetStreamManagement jsm) {
        try {
            return jsm.getStreamInfo(Subjects.peerCopyStream("main")).getStreamState().getLastSequence();
        } catch (Exception notYet) {
            return -1;
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(90)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(condition::getAsBoolean);
    }
}
