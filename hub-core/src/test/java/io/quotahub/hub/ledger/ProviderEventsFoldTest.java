package io.quotahub.hub.ledger;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolPolicy;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Preset;
import io.quotahub.engine.Priority;
import io.quotahub.engine.ProviderFeedback;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.ReportedLimit;
import io.quotahub.engine.Settlement;
import io.quotahub.engine.view.KeyView;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The provider's word in the ledger: a settle with outcome UNKNOWN, the external use and the
 * observed limit a report led to, written as events and folded back — by a restarted hub (its own
 * ledger) and by its peer — give the state the hub had live.
 */
class ProviderEventsFoldTest {

    private static final Map<String, Double> HALVES = Map.of("main", 0.5, "edge", 0.5);
    private final ManualClock clock = new ManualClock(Instant.parse("2026-03-02T12:00:00Z"));

    private QuotaEngine engine(String hub) {
        PoolSpec pool = new PoolSpec("p", List.of(new KeySpec("k", List.of(LimitSpec.requests(100, Duration.ofHours(1)),
                LimitSpec.tokens(10_000, Duration.ofHours(1))), 0)), List.of(), 0, Preset.PREMIUM, PoolPolicy.ofDefaults(), true);
        return new QuotaEngine(EngineConfig.builder(hub).budgetShares(HALVES).pools(List.of(pool)).build(), clock, EngineListener.NONE);
    }

    private static KeyView key(QuotaEngine e) {
        return e.view().pools().get(0).keys().get(0);
    }

    @Test
    void unknownSettle_externalUse_andObservedLimit_foldBackToTheLiveState_onARestartAndOnThePeer() {
        QuotaEngine live = engine("main");
        List<LedgerEvent> ledger = new ArrayList<>();
        LeaseRecord lease = ((Decision.Admitted) live.acquire(new AcquireRequest("p", 300, Priority.NORMAL, "a", "r1"))).lease();
        ledger.add(LedgerEvents.grant(lease));
        clock.advance(Duration.ofMillis(500));
        Settlement unknown = new Settlement(lease.leaseId(), 0, Outcome.UNKNOWN, Duration.ZERO, clock.instant());
        live.settle(unknown);
        ledger.add(LedgerEvents.settle("main", unknown));
        ProviderFeedback feedback = live.observeProvider("p", "k", List.of(
                new ReportedLimit(ReportedLimit.Kind.REQUESTS, 80L, 20L, 1_800_000L)));
        feedback.booked().forEach(e -> ledger.add(LedgerEvents.externalUse("main", e)));
        feedback.observed().forEach(o -> ledger.add(LedgerEvents.limitObserved(o)));
        assertThat(ledger).extracting(LedgerEvent::getEventCase).containsExactly(LedgerEvent.EventCase.GRANT,
                LedgerEvent.EventCase.SETTLE, LedgerEvent.EventCase.EXTERNAL_USE, LedgerEvent.EventCase.LIMIT_OBSERVED);
        assertThat(ledger.get(1).getSettle().getOutcome()).isEqualTo(io.quotahub.proto.Outcome.UNKNOWN);

        QuotaEngine restarted = engine("main");
        QuotaEngine peer = engine("edge");
        LedgerFold ownFold = new LedgerFold("main", restarted, l -> { });
        LedgerFold peerFold = new LedgerFold("edge", peer, l -> { });
        for (LedgerEvent event : ledger) {
            ownFold.apply(event);
            peerFold.apply(event);
        }

        // 1 call + 300 tokens (its estimate: UNKNOWN without tokens), then 80 - 20 - 1 = 59 requests used elsewhere
        assertThat(key(live).limits().get(0).used()).isEqualTo(60);
        assertThat(key(live).limits().get(1).used()).isEqualTo(300);
        assertThat(key(live).limits().get(0).enforced()).isEqualTo(80);
        assertThat(key(restarted)).isEqualTo(key(live));
        assertThat(restarted.budgetTable()).isEqualTo(live.budgetTable());
        assertThat(key(peer).limits().get(0).used()).isEqualTo(60);
        assertThat(key(peer).limits().get(0).observedLimit()).isEqualTo(80L);
        assertThat(key(peer).externalBooked()).isEqualTo(key(live).externalBooked());
    }
}
