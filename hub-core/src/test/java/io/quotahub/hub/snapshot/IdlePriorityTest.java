package io.quotahub.hub.snapshot;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class IdlePriorityTest {

    @Test
    void aThreadPutInTheIdleClass_isSeenThereByLinux_andOtherThreadsAreNot() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/thread-self")), "Linux only");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chrt")), "needs util-linux's chrt");
        AtomicBoolean applied = new AtomicBoolean();
        AtomicBoolean seen = new AtomicBoolean();
        Thread t = new Thread(() -> {
            applied.set(IdlePriority.applyToCurrentThread());
            seen.set(currentThreadIsIdle());
        });
        t.start();
        t.join();

        assertThat(applied).isTrue();
        assertThat(seen).isTrue();
        String mine = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
        assertThat(IdlePriority.isIdle(mine)).as("the test's own thread keeps its class").isFalse();
    }

    private static boolean currentThreadIsIdle() {
        try {
            return IdlePriority.isIdle(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
