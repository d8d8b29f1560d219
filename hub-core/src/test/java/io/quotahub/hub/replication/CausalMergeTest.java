package io.quotahub.hub.replication;

import io.quotahub.hub.ledger.BatchSource;
import io.quotahub.hub.ledger.StoredBatch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class CausalMergeTest {

    private static StoredBatch b(long seq, long peerSeq) {
        return new StoredBatch(seq, peerSeq, List.of());
    }

    @Test
    void ownBatchWaitsForThePeerBatchesItHadSeen() {
        List<String> order = new ArrayList<>();
        CausalMerge.merge(List.of(b(1, 0), b(2, 2), b(3, 2)), List.of(b(1, 0), b(2, 1), b(3, 3)),
                o -> order.add("own" + o.seq()), p -> order.add("peer" + p.seq()));
        assertThat(order).containsExactly("own1", "peer1", "peer2", "own2", "own3", "peer3");
    }

    @Test
    void streamingMerge_readsThePeerOnlyAsFarAsTheOwnBatchNeeds() {
        AtomicInteger peerRead = new AtomicInteger();
        List<StoredBatch> peer = List.of(b(1, 0), b(2, 0), b(3, 0), b(4, 0));
        BatchSource counting = new BatchSource() {
            private final BatchSource inner = BatchSource.of(peer);

            @Override
            public StoredBatch peek() {
                return inner.peek();
            }

            @Override
            public StoredBatch next() {
                StoredBatch n = inner.next();
                if (n != null) {
                    peerRead.incrementAndGet();
                }
                return n;
            }
        };
        List<String> order = new ArrayList<>();
        CausalMerge merge = new CausalMerge(counting, 0, 0, o -> order.add("own" + o.seq()), p -> order.add("peer" + p.seq()));
        merge.own(b(1, 2));
        assertThat(peerRead.get()).isEqualTo(2);
        merge.own(b(2, 2));
        assertThat(peerRead.get()).isEqualTo(2);
        merge.finish();
        assertThat(order).containsExactly("peer1", "peer2", "own1", "own2", "peer3", "peer4");
    }

    @Test
    void streamingMerge_startsAfterASnapshotsSequences() {
        List<String> order = new ArrayList<>();
        // a snapshot covered own 1..5 and peer 1..7: the tails are folded from there
        CausalMerge merge = new CausalMerge(BatchSource.of(List.of(b(8, 5), b(9, 6))), 5, 7,
                o -> order.add("own" + o.seq()), p -> order.add("peer" + p.seq()));
        merge.own(b(6, 7));
        merge.own(b(7, 9));
        merge.finish();
        assertThat(order).containsExactly("own6", "peer8", "peer9", "own7");
    }

    /** Random causal histories: every batch is folded after everything its writer had folded of the other ledger. */
    @Test
    void everyRandomCausalHistoryFoldsInCausalOrder() {
        Random random = new Random(42);
        for (int round = 0; round < 500; round++) {
            List<StoredBatch> own = new ArrayList<>();
            List<StoredBatch> peer = new ArrayList<>();
            long ownSeen = 0; // what the own writer had folded of the peer
            long peerSeen = 0;
            int steps = 1 + random.nextInt(40);
            for (int s = 0; s < steps; s++) {
                switch (random.nextInt(4)) {
                    case 0 -> own.add(b(own.size() + 1, ownSeen));
                    case 1 -> peer.add(b(peer.size() + 1, peerSeen));
                    case 2 -> ownSeen = peer.size() == 0 ? 0 : ownSeen + random.nextInt((int) (peer.size() - ownSeen) + 1);
                    default -> peerSeen = own.size() == 0 ? 0 : peerSeen + random.nextInt((int) (own.size() - peerSeen) + 1);
                }
            }
            long[] applied = new long[2];
            List<String> violations = new ArrayList<>();
            CausalMerge merge = new CausalMerge(BatchSource.of(peer), 0, 0, o -> {
                if (o.peerSeq() > applied[1]) {
                    violations.add("own " + o.seq() + " before peer " + o.peerSeq());
                }
                applied[0] = o.seq();
            }, p -> {
                if (p.peerSeq() > applied[0]) {
                    violations.add("peer " + p.seq() + " before own " + p.peerSeq());
                }
                applied[1] = p.seq();
            });
            own.forEach(merge::own);
            merge.finish();
            assertThat(violations).as("round %d", round).isEmpty();
            assertThat(applied).containsExactly(own.size(), peer.size());
        }
    }
}
