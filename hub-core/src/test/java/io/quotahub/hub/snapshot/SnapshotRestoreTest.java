package io.quotahub.hub.snapshot;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.SettleResult;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.ledger.JetStreamLedger;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.hub.ledger.LedgerFold;
import io.quotahub.testing.ManualClock;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Restart = snapshot + tail gives the state a full replay gives; an unusable snapshot means a full replay. */
class SnapshotRestoreTest {

    private final ManualClock clock = new ManualClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));

    private static EngineConfig config(long capacity) {
        return EngineConfig.builder("main").pools(List.of(new PoolSpec("p", List.of(
                new KeySpec("k1", List.of(LimitSpec.requests(capacity, Duration.ofMinutes(1)), LimitSpec.tokens(1_000_000, Duration.ofMinutes(1))), 0),
                new KeySpec("k2", List.of(LimitSpec.requests(capacity, Duration.ofMinutes(1))), 0)),
                List.of(), 0, Preset.STANDARD))).build();
    }

    /** The live hub: decides with its engine and appends to the ledger, as AcquireService/SettleService do. */
    private final class Writer {
        final QuotaEngine engine = new QuotaEngine(config(1000), clock, EngineListener.NONE);
        final JetStreamLedger ledger;
        final List<LeaseRecord> open = new ArrayList<>();
        int requests;

        Writer(Connection c) throws Exception {
            ledger = new JetStreamLedger(c, "main", Duration.ofSeconds(5));
            ledger.replay(b -> { }, () -> 0);
        }

        void grant(int n) {
            for (int i = 0; i < n; i++) {
                Decision d = engine.acquire(new AcquireRequest("p", 10 + i, Priority.NORMAL, "agent", "req-" + (++requests)));
                LeaseRecord lease = ((Decision.Admitted) d).lease();
                ledger.append(LedgerEvents.grant(lease)).join();
                open.add(lease);
                clock.advance(Duration.ofMillis(50));
            }
        }

        void settle(int n, Outcome outcome) {
            for (int i = 0; i < n; i++) {
                LeaseRecord lease = open.remove(0);
                Settlement s = new Settlement(lease.leaseId(), lease.tokens() - 1, outcome, Duration.ZERO, clock.instant());
                engine.settle(s);
                ledger.append(LedgerEvents.settle("main", s)).join();
                clock.advance(Duration.ofMillis(50));
            }
        }
    }

    private record Restarted(QuotaEngine engine, LedgerFold fold, HubSnapshot from) {
    }

    /** A restart: the newest usable snapshot (if {@code useSnapshot}) and the ledger after it. */
    private Restarted restart(Connection c, EngineConfig config, boolean useSnapshot) throws Exception {
        QuotaEngine engine = new QuotaEngine(config, clock, EngineListener.NONE);
        LedgerFold fold = new LedgerFold("main", engine, lease -> { });
        HubSnapshot snap = null;
        if (useSnapshot) {
            snap = new Snapshots(c, "main", null, config, clock, 1, Duration.ofMinutes(10)).loadUsable();
            if (snap != null) {
                SnapshotBuilder.restore(snap, engine, fold);
            }
        }
        try (JetStreamLedger ledger = new JetStreamLedger(c, "main", Duration.ofSeconds(5))) {
            ledger.replayAfter(snap == null ? 0 : snap.ownSeq(), fold::applyOwn, () -> 0);
        }
        return new Restarted(engine, fold, snap);
    }

    @Test
    void restartFromSnapshotPlusTail_hasTheStateOfAFullReplay() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection c = Nats.connect(nats.url())) {
            Writer hub = new Writer(c);
            hub.grant(40);
            hub.settle(15, Outcome.OK);
            hub.settle(1, Outcome.RATE_LIMITED); // a cooldown: part of the state
            hub.settle(2, Outcome.OK);
            LeaseRecord grantedBeforeStillOpen = hub.open.get(hub.open.size() - 1);
            SnapshotMark written = new Snapshots(c, "main", null, config(1000), clock, 1, Duration.ofMinutes(10)).writeNow();
            assertThat(written.ownSeq()).isEqualTo(58);
            // the tail: settles of leases granted before the snapshot, new grants, some settled
            hub.settle(5, Outcome.OK);
            clock.advance(Duration.ofSeconds(2)); // past the cooldown
            hub.grant(12);
            hub.settle(1, Outcome.ERROR);
            hub.settle(1, Outcome.OK);
            hub.ledger.close();

            Restarted full = restart(c, config(1000), false);
            Restarted fromSnapshot = restart(c, config(1000), true);

            assertThat(fromSnapshot.from()).isNotNull();
            assertThat(fromSnapshot.from().ownSeq()).isEqualTo(58);
            assertThat(fromSnapshot.engine().budgetTable()).isEqualTo(full.engine().budgetTable());
            assertThat(fromSnapshot.engine().budgetTable()).isEqualTo(hub.engine.budgetTable());
            assertThat(fromSnapshot.engine().openLeases()).containsExactlyInAnyOrderElementsOf(full.engine().openLeases());
            assertThat(fromSnapshot.engine().openLeases()).hasSize(40 - 15 - 3 - 5 + 12 - 2);
            assertThat(fromSnapshot.engine().view().toString()).isEqualTo(full.engine().view().toString());

            // a lease granted before the snapshot and still open settles; one settled before it is not charged twice
            assertThat(hub.open).contains(grantedBeforeStillOpen);
            Settlement late = new Settlement(grantedBeforeStillOpen.leaseId(), 5, Outcome.OK, Duration.ZERO, clock.instant());
            assertThat(fromSnapshot.engine().settle(late)).isEqualTo(SettleResult.SETTLED);
            assertThat(full.engine().settle(late)).isEqualTo(SettleResult.SETTLED);
            assertThat(fromSnapshot.engine().budgetTable()).isEqualTo(full.engine().budgetTable());
            assertThat(fromSnapshot.engine().settle(late)).isEqualTo(SettleResult.ALREADY_SETTLED);

            // the next snapshot builds on this one: the tail only
            SnapshotMark next = new Snapshots(c, "main", null, config(1000), clock, 1, Duration.ofMinutes(10)).writeNow();
            assertThat(next.ownSeq()).isEqualTo(58 + 5 + 12 + 2);
        }
    }

    @Test
    void aHubsSnapshotsBuildOnEachOther_andEachRestoresToTheStateOfAFullReplay() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection c = Nats.connect(nats.url())) {
            Writer hub = new Writer(c);
            Snapshots snaps = new Snapshots(c, "main", null, config(1000), clock, 1, Duration.ofMinutes(10));
            hub.grant(30);
            hub.settle(10, Outcome.OK);
            assertThat(snaps.writeNow().ownSeq()).isEqualTo(40);
            hub.settle(1, Outcome.RATE_LIMITED);
            clock.advance(Duration.ofSeconds(2));
            hub.grant(8);
            hub.settle(12, Outcome.OK);
            SnapshotMark second = snaps.writeNow(); // folds only the 21 events since the first into the kept state
            assertThat(second.ownSeq()).isEqualTo(61);
            assertThat(second.events()).isEqualTo(61);
            assertThat(snaps.latest()).isEqualTo(second);
            hub.grant(3);
            hub.settle(2, Outcome.ERROR);
            hub.ledger.close();

            Restarted full = restart(c, config(1000), false);
            Restarted fromSecond = restart(c, config(1000), true);
            assertThat(fromSecond.from().mark()).isEqualTo(second);
            assertThat(fromSecond.engine().budgetTable()).isEqualTo(full.engine().budgetTable()).isEqualTo(hub.engine.budgetTable());
            assertThat(fromSecond.engine().openLeases()).containsExactlyInAnyOrderElementsOf(full.engine().openLeases());
            assertThat(fromSecond.engine().openLeases()).hasSize(30 - 10 - 1 + 8 - 12 + 3 - 2);
            assertThat(fromSecond.engine().view().toString()).isEqualTo(full.engine().view().toString());
        }
    }

    @Test
    void corruptOrForeignSnapshot_isIgnoredAndTheWholeLedgerIsReplayed() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection c = Nats.connect(nats.url())) {
            Writer hub = new Writer(c);
            hub.grant(10);
            hub.settle(4, Outcome.OK);
            hub.ledger.close();
            Snapshots snaps = new Snapshots(c, "main", null, config(1000), clock, 1, Duration.ofMinutes(10));
            snaps.writeNow();
            byte[] good = snaps.store().latest();

            byte[] flipped = good.clone();
            flipped[flipped.length / 2] ^= 0x5A;
            snaps.store().put(flipped);
            Restarted corrupt = restart(c, config(1000), true);
            assertThat(corrupt.from()).isNull();
            assertThat(corrupt.engine().openLeases()).hasSize(6);
            assertThat(corrupt.engine().budgetTable()).isEqualTo(hub.engine.budgetTable());

            snaps.store().put(java.util.Arrays.copyOf(good, good.length - 100));
            assertThat(restart(c, config(1000), true).from()).isNull();

            snaps.store().put(good);
            Restarted otherConfig = restart(c, config(999), true); // a limit changed: the snapshot does not fit
            assertThat(otherConfig.from()).isNull();
            assertThat(otherConfig.engine().openLeases()).hasSize(6);

            assertThat(restart(c, config(1000), true).from()).isNotNull();
        }
    }
}
