package io.quotahub.chaos.polyglot;

import io.quotahub.chaos.suite.Recorder;

/**
 * One line an out-of-process agent (chaos/agents/node-agent.mjs, chaos/agents/python-agent.py)
 * printed on its stdout: a JSON object with {@code event} and {@code agent}, times in epoch
 * milliseconds (fractions allowed). {@link AgentLine#parse} reads it; {@link #recordIn} puts it into the
 * {@link Recorder} exactly as a Java {@code ChaosAgent} records the same step, so every check of
 * the suite covers these agents too.
 *
 * <pre>
 * {"event":"ready","agent":"node-main-1","side":"main","pool":"chaos","runtime":"node v20.20.2"}
 * {"event":"lease","agent":"node-main-1","side":"main","pool":"chaos","hub":"edge","key":"c1","lease":"…","wantedSince":…,"at":…}
 * {"event":"call","agent":"node-main-1","key":"c1","status":200,"at":…}
 * {"event":"settle","agent":"node-main-1","pool":"chaos","lease":"…","outcome":"OK","tokens":1,"at":…}
 * {"event":"miss","agent":"node-main-1","pool":"chaos","kind":"refused","code":"BUDGET_EXHAUSTED","retryAfterMs":120,"latencyMs":3.5,"at":…}
 * {"event":"want","agent":"node-main-1","side":"main","pool":"chaos","from":…,"to":…}
 * {"event":"stopped","agent":"node-main-1"}
 * </pre>
 */
public sealed interface AgentEvent {

    /** The agent that printed it. */
    String agent();

    /** Records it as a Java agent would record the same step; nothing for {@link Ready} and {@link Stopped}. */
    default void recordIn(Recorder rec) {
    }

    /** Connected, about to acquire. */
    record Ready(String agent, String runtime) implements AgentEvent {
    }

    /** Stopped after its stdin closed. */
    record Stopped(String agent) implements AgentEvent {
    }

    record Leased(Recorder.LeaseRec lease) implements AgentEvent {
        public String agent() {
            return lease.agent();
        }

        @Override
        public void recordIn(Recorder rec) {
            rec.lease(lease);
        }
    }

    record Called(Recorder.CallRec call) implements AgentEvent {
        public String agent() {
            return call.agent();
        }

        @Override
        public void recordIn(Recorder rec) {
            rec.call(call);
        }
    }

    record Settled(Recorder.SettleRec settle) implements AgentEvent {
        public String agent() {
            return settle.agent();
        }

        @Override
        public void recordIn(Recorder rec) {
            rec.settle(settle);
        }
    }

    /** A refusal, a hub that could not be reached, an error, or a settle that failed ({@code kind}). */
    record Missed(Recorder.Miss miss, String message) implements AgentEvent {
        public String agent() {
            return miss.agent();
        }

        @Override
        public void recordIn(Recorder rec) {
            rec.miss(miss);
        }
    }

    /** It stopped while still wanting a lease. */
    record WantedUnmet(Recorder.Want want) implements AgentEvent {
        public String agent() {
            return want.agent();
        }

        @Override
        public void recordIn(Recorder rec) {
            rec.unmetWant(want);
        }
    }
}
