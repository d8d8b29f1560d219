package io.quotahub.hub.ledger;

import io.quotahub.proto.Grant;
import io.quotahub.proto.LedgerEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What every ledger must do: one contract test, run against each implementation (in-memory and JetStream). */
abstract class LedgerContractTest {

    /** A fresh, empty, replayed ledger of hub "main" whose batches carry the given peer cursor. */
    abstract Ledger newLedger(java.util.function.LongSupplier peerCursor);

    Ledger newLedger() {
        return newLedger(() -> 0);
    }

    /** The same ledger's store opened again, as after a restart (not yet replayed). */
    abstract Ledger reopen();

    /** Fences the ledger as the peer hub would. */
    abstract void fenceFromOutside();

    static LedgerEvent grant(int n) {
        return LedgerEvent.newBuilder().setHubId("main").setAtEpochMs(1_000 + n)
                .setGrant(Grant.newBuilder().setLeaseId("main-" + n).setPool("demo").setKeyId("k1").setTokens(n)).build();
    }

    static List<String> leaseIds(Ledger ledger) {
        List<String> ids = new ArrayList<>();
        ledger.replay(b -> b.events().stream().filter(LedgerEvent::hasGrant).forEach(e -> ids.add(e.getGrant().getLeaseId())), () -> 0);
        return ids;
    }

    @Test
    void appendsAreDurableAndReplayInAppendOrder() throws Exception {
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        try (Ledger ledger = newLedger()) {
            for (int i = 0; i < 1000; i++) {
                acks.add(ledger.append(grant(i)));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }

        try (Ledger again = reopen()) {
            List<String> ids = leaseIds(again);
            assertThat(ids).hasSize(1000);
            assertThat(ids.get(0)).isEqualTo("main-0");
            assertThat(ids.get(999)).isEqualTo("main-999");
            assertThat(ids).doesNotHaveDuplicates();
        }
    }

    @Test
    void concurrentAppendsFromManyThreadsAreAllKept() throws Exception {
        List<CompletableFuture<Long>> acks = java.util.Collections.synchronizedList(new ArrayList<>());
        try (Ledger ledger = newLedger()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int base = t * 250;
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 250; i++) {
                        acks.add(ledger.append(grant(base + i)));
                    }
                });
                thread.start();
                threads.add(thread);
            }
            for (Thread t : threads) {
                t.join();
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }

        try (Ledger again = reopen()) {
            assertThat(leaseIds(again)).hasSize(1000).doesNotHaveDuplicates();
        }
    }

    @Test
    void appendsCarryTheirSequenceAndThePeerCursorOfTheirTime() throws Exception {
        long[] cursor = {7};
        List<StoredBatch> stored = new ArrayList<>();
        try (Ledger ledger = newLedger(() -> cursor[0])) {
            long first = ledger.append(grant(1)).get(10, TimeUnit.SECONDS);
            cursor[0] = 9;
            long second = ledger.append(grant(2)).get(10, TimeUnit.SECONDS);
            assertThat(second).isGreaterThan(first);
        }
        try (Ledger again = reopen()) {
            again.replay(stored::add, () -> 0);
        }
        assertThat(stored).extracting(StoredBatch::peerSeq).containsExactly(7L, 9L);
    }

    @Test
    void aFenceBlocksAppendsUntilResumeAndThenAppendsGoAfterIt() throws Exception {
        try (Ledger ledger = newLedger()) {
            ledger.append(grant(1)).get(10, TimeUnit.SECONDS);
            fenceFromOutside();
            awaitFenced(ledger);

            ledger.resume();
            long seq = appendEventually(ledger, grant(5));

            assertThat(seq).isEqualTo(3);
        }
    }

    private static long appendEventually(Ledger ledger, LedgerEvent event) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            try {
                return ledger.append(event).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    void afterAFenceNoAppendIsAcceptedAndAReplaySeesTheFence() throws Exception {
        try (Ledger ledger = newLedger()) {
            ledger.append(grant(1)).get(10, TimeUnit.SECONDS);
            fenceFromOutside();

            CompletableFuture<Long> first = ledger.append(grant(2));
            assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(RuntimeException.class);
            awaitFenced(ledger);
            CompletableFuture<Long> later = ledger.append(grant(3));
            assertThatThrownBy(() -> later.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(LedgerFencedException.class);
        }

        try (Ledger again = reopen()) {
            List<String> ids = new ArrayList<>();
            Ledger.ReplayResult result = again.replay(b -> b.events().stream().filter(LedgerEvent::hasGrant)
                    .forEach(e -> ids.add(e.getGrant().getLeaseId())), () -> 0);
            assertThat(result.fenceSeq()).isEqualTo(2);
            assertThat(again.fenced()).isTrue();
            assertThat(ids).containsExactly("main-1");
        }
    }

    private static void awaitFenced(Ledger ledger) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!ledger.fenced() && System.currentTimeMillis() < deadline) {
            ledger.append(grant(99)).exceptionally(e -> -1L).get(10, TimeUnit.SECONDS);
            Thread.sleep(50);
        }
        assertThat(ledger.fenced()).isTrue();
    }
}
