package io.quotahub.hub.snapshot;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    @Test
    void theSnapshotConnectionsReaderAndWriter_runOnIdleThreads() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/thread-self")), "Linux only");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chrt")), "needs util-linux's chrt");
        AtomicBoolean seen = new AtomicBoolean();
        Thread t = IdlePriority.threadFactory("idle-test").newThread(() -> seen.set(currentThreadIsIdle()));
        t.start();
        t.join();
        assertThat(seen).as("a task of the factory's thread runs in the idle class").isTrue();

        try (NatsServer nats = NatsServer.start();
             Connection c = Nats.connect(new Options.Builder().server(nats.url())
                     .readerThreadFactory(IdlePriority.threadFactory("qh-snap-reader"))
                     .writerThreadFactory(IdlePriority.threadFactory("qh-snap-writer")).build())) {
            c.flush(Duration.ofSeconds(5)); // a round trip: the reader and the writer run
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .anyMatch(n -> n.startsWith("qh-snap-reader-"))
                    .anyMatch(n -> n.startsWith("qh-snap-writer-"));
        }
    }

    private static boolean currentThreadIsIdle() {
        try {
            return IdlePriority.isIdle(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
