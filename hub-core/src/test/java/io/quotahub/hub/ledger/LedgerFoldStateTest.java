package io.quotahub.hub.ledger;

import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.proto.BudgetUnits;
import io.quotahub.proto.Fence;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Takeover;
import io.quotahub.proto.Transfer;
import io.quotahub.proto.TransferApplied;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fold's own state (transfers to this hub, fences, takeovers) survives a snapshot. */
class LedgerFoldStateTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-06T12:00:00Z"));

    private QuotaEngine engine() {
        return new QuotaEngine(EngineConfig.builder("main").budgetShares(Map.of("main", 0.5, "edge", 0.5))
                .pools(List.of(new PoolSpec("p", List.of(new KeySpec("k1", List.of(LimitSpec.requests(100, Duration.ofMinutes(1))), 0)),
                        List.of(), 0, Preset.STANDARD))).build(), clock, EngineListener.NONE);
    }

    private static LedgerEvent transfer(String id) {
        return LedgerEvent.newBuilder().setHubId("edge").setAtEpochMs(1).setTransfer(Transfer.newBuilder().setTransferId(id).setToHub("main")
                .addUnits(BudgetUnits.newBuilder().setLimit("p/k1#0").setUnits(5))).build();
    }

    private static LedgerEvent applied(String id) {
        return LedgerEvent.newBuilder().setHubId("main").setAtEpochMs(2).setTransferApplied(TransferApplied.newBuilder().setTransferId(id)
                .setFromHub("edge").addUnits(BudgetUnits.newBuilder().setLimit("p/k1#0").setUnits(5))).build();
    }

    private static byte[] state(LedgerFold fold) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            fold.writeState(out);
        }
        return b.toByteArray();
    }

    @Test
    void transfersFencesAndTakeoversSurviveWriteAndRead() throws IOException {
        LedgerFold fold = new LedgerFold("main", engine(), lease -> { });
        fold.apply(transfer("t1"));
        fold.apply(applied("t1"));
        fold.apply(transfer("t2")); // not applied yet: this hub still owes its TransferApplied
        fold.ownFenceFound(7);
        fold.apply(LedgerEvent.newBuilder().setHubId("edge").setAtEpochMs(3)
                .setTakeover(Takeover.newBuilder().setPeerHub("main").setFenceSeq(5)).build());
        // this hub fenced the peer at 12 of its ledger and answered it; the peer wrote up to 11 before
        fold.applyPeer(new StoredBatch(11, 0, List.of(transfer("t3"))));
        fold.applyPeer(new StoredBatch(12, 0, List.of(LedgerEvent.newBuilder().setHubId("main")
                .setFence(Fence.newBuilder().setByHub("main").setFencedAfterSeq(11)).build())));
        fold.apply(LedgerEvent.newBuilder().setHubId("main").setAtEpochMs(4)
                .setTakeover(Takeover.newBuilder().setPeerHub("edge").setFenceSeq(12)).build());

        LedgerFold restored = new LedgerFold("main", engine(), lease -> { });
        restored.readState(new DataInputStream(new ByteArrayInputStream(state(fold))));

        assertThat(restored.takenOverThroughFence()).isEqualTo(5);
        assertThat(restored.awaitingTakeover()).isTrue(); // fence 7 found, takeover only through 5
        assertThat(restored.peerFenceSeq()).isEqualTo(12);
        assertThat(restored.peerTakenOverThroughFence()).isEqualTo(12);
        assertThat(restored.peerWroteAfter(11)).isFalse();
        assertThat(restored.unappliedTransfersToMe()).extracting(Transfer::getTransferId).containsExactly("t2", "t3");
        restored.apply(transfer("t1")); // replayed again after the snapshot: already applied, owes nothing
        assertThat(restored.unappliedTransfersToMe()).extracting(Transfer::getTransferId).containsExactly("t2", "t3");
        assertThat(state(restored)).isEqualTo(state(fold));
    }

    @Test
    void stateOfAnotherHubIsRefused() throws IOException {
        LedgerFold edge = new LedgerFold("edge", engine(), lease -> { });
        LedgerFold main = new LedgerFold("main", engine(), lease -> { });
        byte[] edgeState = state(edge);
        assertThatThrownBy(() -> main.readState(new DataInputStream(new ByteArrayInputStream(edgeState))))
                .isInstanceOf(IOException.class).hasMessageContaining("edge");
    }

    @Test
    void appliedTransferIds_areBoundedToTheNewest() {
        LedgerFold fold = new LedgerFold("main", engine(), lease -> { });
        int n = LedgerFold.APPLIED_TRANSFERS_KEPT + 10;
        for (int i = 0; i < n; i++) {
            fold.apply(applied("t" + i));
        }
        fold.apply(transfer("t" + (n - 1))); // recent: known as applied, owes nothing
        assertThat(fold.unappliedTransfersToMe()).isEmpty();
        fold.apply(transfer("t0"));          // past the bound: forgotten (in causal order it never comes again)
        assertThat(fold.unappliedTransfersToMe()).extracting(Transfer::getTransferId).containsExactly("t0");
    }

    private static LedgerEvent reload(String hub, long version, String digest, String follows) {
        return LedgerEvents.configApplied(hub, 3, version, digest, follows, follows.isEmpty() ? "ops" : "", List.of());
    }

    @Test
    void reloadVersionsSurviveWriteAndRead_andAStateWithoutThemStillReads() throws IOException {
        LedgerFold fold = new LedgerFold("main", engine(), lease -> { });
        fold.apply(reload("main", 1, "aaa", ""));
        fold.apply(reload("edge", 1, "aaa", "main"));
        fold.apply(reload("edge", 2, "bbb", ""));

        LedgerFold restored = new LedgerFold("main", engine(), lease -> { });
        restored.readState(new DataInputStream(new ByteArrayInputStream(state(fold))));

        assertThat(restored.configVersion()).isEqualTo(2);
        assertThat(restored.configDigest()).isEqualTo("bbb");
        assertThat(restored.ownConfigWritten()).isEqualTo(1);
        assertThat(restored.peerFollowedMine()).isEqualTo(1);
        assertThat(restored.peerAccepted()).isEqualTo(2);
        assertThat(restored.peerAcceptedDigest()).isEqualTo("bbb");

        // the previous format (3) ends before the reloads: it reads as "no reload seen"
        byte[] v4 = state(new LedgerFold("main", engine(), lease -> { }));
        byte[] v3 = java.util.Arrays.copyOf(v4, v4.length - (8 + 2 + 8 + 8 + 2 + 8));
        v3[3] = 3;
        LedgerFold old = new LedgerFold("main", engine(), lease -> { });
        old.readState(new DataInputStream(new ByteArrayInputStream(v3)));
        assertThat(old.configVersion()).isZero();
    }

    @Test
    void thePeersReloadsAndRotations_reachTheListenerOnlyOnceItListens() {
        LedgerFold fold = new LedgerFold("main", engine(), lease -> { });
        List<String> heard = new java.util.ArrayList<>();
        fold.apply(reload("edge", 1, "aaa", ""));
        fold.listen(new ConfigListener() {
            @Override
            public void peerAccepted(String peerHub, io.quotahub.proto.ConfigApplied reload) {
                heard.add("accepted " + peerHub + " v" + reload.getVersion());
            }

            @Override
            public void peerFollowed(long version, String digest) {
                heard.add("followed v" + version);
            }

            @Override
            public void peerRotated(String pool, String keyId) {
                heard.add("rotated " + pool + "/" + keyId);
            }
        });
        fold.apply(reload("edge", 2, "bbb", ""));
        fold.apply(reload("edge", 3, "ccc", "main"));
        fold.apply(reload("main", 4, "ddd", ""));        // its own: recorded, not heard
        fold.apply(LedgerEvents.keyRotated("edge", "p", "k1", 5, "ops"));
        fold.apply(LedgerEvents.keyRotated("main", "p", "k1", 6, "ops"));

        assertThat(heard).containsExactly("accepted edge v2", "followed v3", "rotated p/k1");
        assertThat(fold.configVersion()).isEqualTo(4);
    }
}
