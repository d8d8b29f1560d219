package io.quotahub.chaos.checker;

import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.nemesis.FaultKind;
import io.quotahub.chaos.nemesis.TestFaults;
import io.quotahub.chaos.provider.Limit;
import io.quotahub.chaos.provider.ProviderKey;
import io.quotahub.chaos.suite.Recorder;
import io.quotahub.chaos.suite.ScenarioResult;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * While a fault hides a peer's ledger, a wait caused by one hub's share of a budget (BUDGET_EXHAUSTED)
 * is held to the pool's window + 1 s, not to the failover bound; any other wait still is.
 */
class ShareBoundWaitTest {

    private static final long MS = 1_000_000L;
    private static final List<ProviderKey> KEYS = List.of(
            new ProviderKey("c1", "secret-c1", List.of(Limit.requests(60, Duration.ofSeconds(5)))));

    private final Recorder rec = new Recorder();
    private final ScenarioChecker checker = new ScenarioChecker(null, KEYS, Map.of("chaos", List.of("c1")), rec, null, null);

    private static ProviderLog emptyProvider() throws Exception {
        Constructor<ProviderLog> c = ProviderLog.class.getDeclaredConstructor(List.class, List.class);
        c.setAccessible(true);
        return c.newInstance(List.of(), KEYS);
    }

    /** An agent that wanted from {@code fromMs} until it got a lease at {@code toMs}, refused once with {@code code}. */
    private void waited(String agent, long fromMs, long toMs, String code) {
        rec.miss(new Recorder.Miss(agent, "chaos", (fromMs + 1) * MS, "refused", code, 100, 0));
        rec.lease(new Recorder.LeaseRec(agent, "edge", "chaos", "main", "c1", agent + "-lease", fromMs * MS, toMs * MS));
    }

    private ScenarioResult check(FaultKind kind) throws Exception {
        Fault f = TestFaults.fault(kind, kind.sided() ? "edge" : null, 0, 20_000 * MS);
        f.converged(20_000 * MS);
        ScenarioResult r = new ScenarioResult("t", 0, 30_000 * MS);
        checker.checkFaults(r, emptyProvider(), List.of(f), 30_000 * MS);
        return r;
    }

    @Test
    void whileAPeersLedgerIsHidden_aShareWaitUnderTheWindowPasses_andIsReportedApart() throws Exception {
        waited("edge-agent-2", 1_000, 3_265, "BUDGET_EXHAUSTED");
        waited("edge-agent-1", 1_000, 1_400, "QUOTA_EXHAUSTED");

        ScenarioResult r = check(FaultKind.KILL_NATS);

        assertThat(r.failures).isEmpty();
        assertThat(r.worstGapMs).isEqualTo(400);
        assertThat(r.details.get("shareBoundWait kill-nats(edge)").toString()).startsWith("2265 ms (edge-agent-2");
    }

    @Test
    void aShareWaitLongerThanTheWindowPlusOneSecond_fails() throws Exception {
        waited("edge-agent-2", 1_000, 7_500, "BUDGET_EXHAUSTED");

        assertThat(check(FaultKind.SPLIT_CUT).failures)
                .containsExactly("a wait on one hub's share of 6500 ms after split-cut (bound 6000 ms: the pool's"
                        + " longest window + 1 s, edge-agent-2: refused BUDGET_EXHAUSTED ×1)");
    }

    @Test
    void afterAHubIsKilled_theSurvivorTakesItsBudgetOver_soAShareWaitIsAFailoverGap() throws Exception {
        waited("edge-agent-2", 1_000, 3_265, "BUDGET_EXHAUSTED");

        assertThat(check(FaultKind.KILL_HUB).failures)
                .containsExactly("failover gap 2265 ms after kill-hub(edge) (bound 1000 ms, edge-agent-2: refused BUDGET_EXHAUSTED ×1)");
    }
}
