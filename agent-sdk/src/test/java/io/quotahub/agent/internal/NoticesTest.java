package io.quotahub.agent.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

class NoticesTest {

    private static final String HIGH_AS_NORMAL = "priority HIGH is reserved for the pool's high-priority-agents: "
            + "treated as NORMAL";

    /** What was logged, as "LEVEL message". */
    private final List<String> logged = new ArrayList<>();
    private final Notices notices = new Notices(new RecordingLogger(logged));

    @Test
    void aNotice_isLoggedOnceAsAWarningPerPool() {
        for (int i = 0; i < 5; i++) {
            notices.report("demo", "main", HIGH_AS_NORMAL);
        }
        notices.report("demo", "edge", HIGH_AS_NORMAL); // the same notice from the other hub
        notices.report("other", "main", HIGH_AS_NORMAL);

        assertThat(logged).containsExactly(
                "WARNING hub main on pool 'demo': " + HIGH_AS_NORMAL + " (logged once per pool and notice)",
                "WARNING hub main on pool 'other': " + HIGH_AS_NORMAL + " (logged once per pool and notice)");
    }

    @Test
    void anotherNoticeOnTheSamePool_isLoggedToo() {
        notices.report("demo", "main", HIGH_AS_NORMAL);
        notices.report("demo", "main", "something else");

        assertThat(logged).hasSize(2);
        assertThat(logged.get(1)).startsWith("WARNING").contains("something else");
    }

    @Test
    void anEmptyNotice_logsNothing() {
        notices.report("demo", "main", "");
        notices.report("demo", "main", null);

        assertThat(logged).isEmpty();
    }

    @Test
    void pastTheBound_newNoticesGoToDebugAndNothingMoreIsRemembered() {
        for (int i = 0; i < Notices.MAX_REMEMBERED + 10; i++) {
            notices.report("demo", "main", "notice " + i);
        }

        assertThat(logged.stream().filter(l -> l.startsWith("WARNING"))).hasSize(Notices.MAX_REMEMBERED);
        assertThat(logged.stream().filter(l -> l.startsWith("DEBUG"))).hasSize(10);
    }

    @Test
    void aVeryLongNotice_isCutInTheLog() {
        notices.report("demo", "main", "x".repeat(10_000));

        assertThat(logged.get(0).length()).isLessThan(Notices.MAX_LOGGED_CHARS + 200);
    }

    private record RecordingLogger(List<String> logged) implements System.Logger {

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, String msg) {
            logged.add(level.name() + " " + msg);
        }

        @Override
        public void log(Level level, Supplier<String> msgSupplier) {
            log(level, msgSupplier.get());
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            log(level, msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            log(level, format);
        }
    }
}
