package io.quotahub.chaos.checker;

import io.quotahub.chaos.suite.Recorder;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The account of one phase of {@code hostile-agent} printed beside its goodput. */
class HostileAgentPhaseTest {

    private static final long MS = 1_000_000L;
    private static final Set<String> HONEST = Set.of("honest-main-1", "honest-edge-1");

    @Test
    void countsCallsPerMachineMissesByCodeAndTheLongestPause() {
        Recorder rec = new Recorder();
        rec.call(new Recorder.CallRec("honest-main-1", "g1", 100 * MS, 200));
        rec.call(new Recorder.CallRec("honest-main-1", "g1", 300 * MS, 200));
        rec.call(new Recorder.CallRec("honest-edge-1", "g2", 1_200 * MS, 200));
        rec.call(new Recorder.CallRec("honest-edge-1", "g2", 1_250 * MS, 429));   // not a completed call
        rec.call(new Recorder.CallRec("hostile-1", "g2", 700 * MS, 200));         // not an honest one
        rec.call(new Recorder.CallRec("honest-main-1", "g1", 5_000 * MS, 200));   // after the phase
        rec.miss(new Recorder.Miss("honest-edge-1", "guarded", 800 * MS, "refused", "QUOTA_EXHAUSTED", 300, 0));
        rec.miss(new Recorder.Miss("honest-edge-1", "guarded", 900 * MS, "refused", "QUOTA_EXHAUSTED", 300, 0));
        rec.miss(new Recorder.Miss("hostile-1", "guarded", 900 * MS, "refused", "AGENT_LIMIT", 0, 0));

        assertThat(HostileAgentCheck.phase(rec, HONEST, 0, 1_500 * MS))
                .isEqualTo("calls main 2, edge 1; refused QUOTA_EXHAUSTED ×2; longest pause between calls 900 ms");
    }

    @Test
    void aPhaseWithoutCallsPausesThroughout() {
        assertThat(HostileAgentCheck.phase(new Recorder(), HONEST, 0, 2_000 * MS))
                .isEqualTo("calls main 0, edge 0; no misses; longest pause between calls 2000 ms");
    }
}
