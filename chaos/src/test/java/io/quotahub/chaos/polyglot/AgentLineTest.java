package io.quotahub.chaos.polyglot;

import io.quotahub.chaos.suite.Recorder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Node and Python agents' JSON lines, read into the same records a Java ChaosAgent makes. */
class AgentLineTest {

    private final Recorder rec = new Recorder();

    private void record(String line) {
        AgentLine.parse(line).recordIn(rec);
    }

    @Test
    void aLeaseLineBecomesALeaseRecordWithEpochNanosAndItsWait() {
        record("""
                {"event":"lease","agent":"node-main-1","side":"main","pool":"chaos","hub":"edge","key":"c2",\
                "lease":"main-abc-7","wantedSince":1765000000000.25,"at":1765000000750.5}""");

        assertThat(rec.leases()).containsExactly(new Recorder.LeaseRec("node-main-1", "main", "chaos", "edge", "c2", "main-abc-7",
                1_765_000_000_000_250_000L, 1_765_000_000_750_500_000L));
        assertThat(rec.leases().get(0).waitNanos()).isEqualTo(750_250_000L);
    }

    @Test
    void callSettleAndMissLinesBecomeTheirRecords() {
        record("{\"event\":\"call\",\"agent\":\"python-edge-1\",\"key\":\"c1\",\"status\":429,\"at\":1000}");
        record("{\"event\":\"settle\",\"agent\":\"python-edge-1\",\"pool\":\"chaos\",\"lease\":\"l1\",\"outcome\":\"RATE_LIMITED\","
                + "\"tokens\":1,\"at\":1001}");
        record("{\"event\":\"miss\",\"agent\":\"python-edge-1\",\"pool\":\"chaos\",\"kind\":\"refused\",\"code\":\"BUDGET_EXHAUSTED\","
                + "\"retryAfterMs\":120,\"latencyMs\":3.5,\"at\":1002}");

        assertThat(rec.calls(c -> true)).containsExactly(new Recorder.CallRec("python-edge-1", "c1", 1_000_000_000L, 429));
        assertThat(rec.settles(s -> true)).containsExactly(
                new Recorder.SettleRec("python-edge-1", "chaos", "l1", "RATE_LIMITED", 1, 1_001_000_000L));
        assertThat(rec.misses(m -> true)).containsExactly(
                new Recorder.Miss("python-edge-1", "chaos", 1_002_000_000L, "refused", "BUDGET_EXHAUSTED", 120, 3_500_000L));
    }

    @Test
    void anErrorMissKeepsItsMessageOutOfTheRecordAndItsCodeIn() {
        AgentEvent e = AgentLine.parse("{\"event\":\"miss\",\"agent\":\"node-edge-1\",\"pool\":\"chaos\",\"kind\":\"error\","
                + "\"code\":\"FENCED\",\"retryAfterMs\":0,\"latencyMs\":0,\"at\":5,\"message\":\"hub main was fenced\"}");

        assertThat(e).isInstanceOfSatisfying(AgentEvent.Missed.class, m -> {
            assertThat(m.miss().kind()).isEqualTo("error");
            assertThat(m.miss().code()).isEqualTo("FENCED");
            assertThat(m.message()).isEqualTo("hub main was fenced");
        });
    }

    @Test
    void aWantUnmetAtStopCountsAsAnOpenWantOfThePool() {
        record("{\"event\":\"want\",\"agent\":\"node-main-1\",\"side\":\"main\",\"pool\":\"chaos\",\"from\":2000,\"to\":2600}");

        assertThat(rec.wants("chaos", 1_500_000_000L, 2_100_000_000L)).containsExactly(
                new Recorder.Want("node-main-1", "main", "chaos", 2_000_000_000L, 2_600_000_000L, false));
    }

    @Test
    void readyAndStoppedRecordNothing() {
        AgentEvent ready = AgentLine.parse("{\"event\":\"ready\",\"agent\":\"node-main-1\",\"runtime\":\"node v20.20.2\"}");
        AgentEvent stopped = AgentLine.parse("{\"event\":\"stopped\",\"agent\":\"node-main-1\"}");
        ready.recordIn(rec);
        stopped.recordIn(rec);

        assertThat(ready).isEqualTo(new AgentEvent.Ready("node-main-1", "node v20.20.2"));
        assertThat(stopped).isEqualTo(new AgentEvent.Stopped("node-main-1"));
        assertThat(rec.leases()).isEmpty();
        assertThat(rec.misses(m -> true)).isEmpty();
        assertThat(rec.wants("chaos", 0, Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void linesThatAreNotEventsAreRefusedWithWhatIsWrong() {
        for (String[] bad : List.of(
                new String[] {"Error: Cannot find module '../../clients/node/dist/src/index.js'", "malformed JSON"},
                new String[] {"[1,2]", "not a JSON object"},
                new String[] {"{\"agent\":\"node-main-1\"}", "'event'"},
                new String[] {"{\"event\":\"lease\",\"side\":\"main\"}", "'agent'"},
                new String[] {"{\"event\":\"teleport\",\"agent\":\"a\"}", "unknown event 'teleport'"},
                new String[] {"{\"event\":\"call\",\"agent\":\"a\",\"key\":\"c1\",\"status\":\"200\",\"at\":1}", "'status'"},
                new String[] {"{\"event\":\"lease\",\"agent\":\"a\",\"side\":\"main\",\"pool\":\"chaos\",\"hub\":\"main\",\"key\":\"c1\","
                        + "\"lease\":\"l\",\"at\":1}", "'wantedSince'"})) {
            assertThatThrownBy(() -> AgentLine.parse(bad[0])).as(bad[0])
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad[1]);
        }
        assertThat(rec.leases()).isEmpty();
    }
}
