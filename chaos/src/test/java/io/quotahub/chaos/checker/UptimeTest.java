package io.quotahub.chaos.checker;

import io.quotahub.chaos.checker.Uptime.Sample;
import io.quotahub.chaos.checker.Uptime.State;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class UptimeTest {

    private static final long MS = 1_000_000L;
    private static final List<String> HUBS = List.of("main", "edge");

    /** Looks every 250 ms at both hubs for {@code n} looks; main's look i has the given state. */
    private static List<Sample> looks(int n, java.util.function.IntFunction<State> main) {
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            State s = main.apply(i);
            out.add(new Sample("main", i * 250 * MS, s, s == State.UP ? "200" : s == State.DOWN ? "503 {}" : "HttpTimeoutException"));
            out.add(new Sample("edge", i * 250 * MS + MS, State.UP, "200"));
        }
        return out;
    }

    @Test
    void hubsThatAnsweredEveryLookWereUp() {
        Uptime.Verdict v = Uptime.judge(looks(40, i -> State.UP), HUBS, 0, 2_000);

        assertThat(v.up()).isTrue();
        assertThat(v.summary()).containsEntry("main", "40 samples, 40 up").containsEntry("edge", "40 samples, 40 up");
    }

    @Test
    void oneLookAtAProcessThatIsGoneFailsTheHub() {
        Uptime.Verdict v = Uptime.judge(looks(40, i -> i == 16 ? State.DEAD : State.UP), HUBS, 0, 2_000);

        assertThat(v.up()).isFalse();
        assertThat(v.failures()).singleElement().asString().startsWith("hub-main's process was not running at +4.0 s");
    }

    @Test
    void oneNotReadyAnswerFailsTheHub() {
        Uptime.Verdict v = Uptime.judge(looks(40, i -> i == 4 ? State.DOWN : State.UP), HUBS, 0, 2_000);

        assertThat(v.failures()).singleElement().asString().startsWith("hub-main was not ready at +1.0 s: 503");
    }

    @Test
    void oneUnansweredLookWithinTheBoundIsCountedNotFailed() {
        // silent from look 8 (2.0 s) until look 10 answered (2.5 s): 500 ms
        Uptime.Verdict v = Uptime.judge(looks(40, i -> i == 8 || i == 9 ? State.NO_ANSWER : State.UP), HUBS, 0, 2_000);

        assertThat(v.up()).isTrue();
        assertThat(v.summary().get("main")).isEqualTo("40 samples, 38 up, 2 no_answer; longest silence 500 ms");
    }

    @Test
    void aSilenceLongerThanTheBoundFailsTheHub() {
        // looks 8..16 unanswered: silent from 2.0 s until look 17 answered at 4.25 s
        Uptime.Verdict v = Uptime.judge(looks(40, i -> i >= 8 && i <= 16 ? State.NO_ANSWER : State.UP), HUBS, 0, 2_000);

        assertThat(v.failures()).singleElement().asString()
                .isEqualTo("hub-main did not answer /health/readiness for 2250 ms from +2.0 s (bound 2000 ms): HttpTimeoutException");
    }

    @Test
    void aSilenceUntilTheLastLookIsMeasuredToTheLastLook() {
        Uptime.Verdict v = Uptime.judge(looks(40, i -> i >= 20 ? State.NO_ANSWER : State.UP), HUBS, 0, 2_000);

        assertThat(v.failures()).singleElement().asString().contains("for 4750 ms from +5.0 s");
    }

    @Test
    void aHubNobodyLookedAtFails() {
        List<Sample> onlyEdge = looks(4, i -> State.UP).stream().filter(s -> s.hub().equals("edge")).toList();

        Uptime.Verdict v = Uptime.judge(onlyEdge, HUBS, 0, 2_000);

        assertThat(v.failures()).containsExactly("hub-main: no readiness sample was taken");
    }
}
