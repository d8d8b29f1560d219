package io.quotahub.hub.snapshot;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Puts the calling thread in Linux's idle scheduling class (SCHED_IDLE), so background work such
 * as a snapshot runs only on CPU time the serving threads leave unused. Java's thread priorities
 * mean nothing to Linux's scheduler; this uses util-linux's {@code chrt} on the thread's own id.
 * Best effort: elsewhere, or without {@code chrt}, the thread keeps its priority (logged once).
 */
final class IdlePriority {

    private static final Logger LOG = LoggerFactory.getLogger(IdlePriority.class);
    private static final Path THREAD_SELF = Path.of("/proc/thread-self");

    private IdlePriority() {
    }

    /** @return whether the calling thread now runs at idle priority */
    static boolean applyToCurrentThread() {
        try {
            if (!Files.exists(THREAD_SELF)) {
                LOG.info("no /proc/thread-self: the snapshot thread keeps its normal OS priority");
                return false;
            }
            String tid = Files.readSymbolicLink(THREAD_SELF).getFileName().toString(); // "<pid>/task/<tid>"
            Process chrt = new ProcessBuilder(List.of("chrt", "--idle", "--pid", "0", tid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!chrt.waitFor(5, TimeUnit.SECONDS)) {
                chrt.destroyForcibly();
                return false;
            }
            boolean idle = chrt.exitValue() == 0 && isIdle(tid);
            if (!idle) {
                LOG.info("chrt --idle did not apply to thread {}: the snapshot thread keeps its normal OS priority", tid);
            }
            return idle;
        } catch (IOException | RuntimeException e) {
            LOG.info("cannot lower the snapshot thread's OS priority ({}): it keeps its normal priority", e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Field 41 of /proc/self/task/TID/stat is the scheduling policy; 5 is SCHED_IDLE. */
    static boolean isIdle(String tid) throws IOException {
        String stat = Files.readString(Path.of("/proc/self/task", tid, "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return "5".equals(fields[41 - 3]);
    }
}
