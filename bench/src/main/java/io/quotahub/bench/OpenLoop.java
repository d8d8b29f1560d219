package io.quotahub.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop load at a fixed offered rate, free of coordinated omission: send {@code i} is due at
 * {@code start + i / rate} whatever happened to the earlier ones, and its latency is measured from
 * that <em>intended</em> time to its acknowledgement. A send that goes out late (the generator was
 * descheduled, or {@code maxInFlight} requests were outstanding) counts its delay. Sends due in the
 * first {@code warmSeconds} are not recorded. If the system falls so far behind that the phase runs
 * {@code graceSeconds} past its timeline, the sends not made yet are given up ("unsent") and recorded
 * with the delay they had reached then (a lower bound), so an overload is never hidden.
 *
 * <p>One generator thread; the {@link Sender} only starts an asynchronous operation.
 */
final class OpenLoop {

    /** Starts operation {@code i}; the future completes when it is acknowledged (fails if it failed). */
    interface Sender {
        CompletableFuture<?> send(long i);
    }

    /** The result of one phase at one offered rate. */
    record Phase(double offeredPerSec, double seconds, long recordedIntended, long sent, long ok, long failed,
                 long unsent, long maxInFlight, double wallSeconds, double achievedPerSec, Histogram latency,
                 Map<String, Double> coresByProcess, String firstError) {

        /** p99 under {@code ms} and every recorded send acknowledged. */
        boolean sustained(double p99Ms) {
            return unsent == 0 && failed == 0 && Stats.ms(latency, 99) < p99Ms;
        }

        /** Every send made and acknowledged, at 95 % or more of the offered rate. */
        boolean keptUp() {
            return unsent == 0 && failed == 0 && achievedPerSec >= 0.95 * offeredPerSec;
        }

        /** The phase as a JSON tree (see {@link BenchJson}). */
        Map<String, Object> tree() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("offeredPerSec", Math.round(offeredPerSec));
            m.put("measuredSeconds", seconds);
            m.put("recorded", recordedIntended);
            m.put("sent", sent);
            m.put("ok", ok);
            m.put("failed", failed);
            m.put("unsent", unsent);
            m.put("maxInFlight", maxInFlight);
            m.put("wallSeconds", wallSeconds);
            m.put("achievedPerSec", achievedPerSec);
            m.put("latencyMs", Stats.summary(latency, 1e6));
            m.put("cpuCores", new LinkedHashMap<>(coresByProcess));
            if (firstError != null) {
                m.put("firstError", firstError.replace("\"", "'").replace("\n", " "));
            }
            return m;
        }
    }

    private OpenLoop() {
    }

    /**
     * Runs {@code warmSeconds + seconds} of sends at {@code rate}/s. {@code pids}: processes whose
     * CPU use (cores) over the measured part is reported beside the generator's own ("generator").
     */
    static Phase run(Sender sender, double rate, double warmSeconds, double seconds, int maxInFlight,
                     double graceSeconds, Map<String, Long> pids) throws InterruptedException {
        long period = Math.max(1, Math.round(1e9 / rate));
        long warmCount = Math.round(rate * warmSeconds);
        long total = warmCount + Math.round(rate * seconds);
        Recorder recorder = new Recorder(Stats.MAX_NANOS, 3);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong okRecorded = new AtomicLong();
        AtomicLong lastDone = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        Semaphore inFlight = new Semaphore(maxInFlight);
        long maxOutstanding = 0;
        long sent = 0;
        long unsent = 0;

        long start = System.nanoTime() + 2_000_000;
        long measureStart = start + warmCount * period;
        long abortAt = start + total * period + (long) (graceSeconds * 1e9);
        Map<String, Long> cpuBefore = new LinkedHashMap<>();
        long selfCpuBefore = -1;
        for (long i = 0; i < total; i++) {
            long intended = start + i * period;
            long now = System.nanoTime();
            if (i == warmCount) {
                pids.forEach((name, pid) -> cpuBefore.put(name, HubLaunch.cpuNanos(pid)));
                selfCpuBefore = processCpu();
            }
            if (intended > now) {
                LockSupport.parkNanos(intended - now);
            }
            boolean record = i >= warmCount;
            if (!inFlight.tryAcquire()) {
                long wait = abortAt - System.nanoTime();
                if (wait <= 0 || !inFlight.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
                    // overloaded past the grace period: give up the rest, counting the delay reached
                    long at = System.nanoTime();
                    for (long j = i; j < total; j++) {
                        if (j >= warmCount) {
                            recorder.recordValue(Math.min(Stats.MAX_NANOS, Math.max(0, at - (start + j * period))));
                        }
                    }
                    unsent = total - i;
                    break;
                }
            }
            maxOutstanding = Math.max(maxOutstanding, maxInFlight - inFlight.availablePermits());
            CompletableFuture<?> f;
            try {
                f = sender.send(i);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            sent++;
            f.whenComplete((v, e) -> {
                long done = System.nanoTime();
                if (e == null) {
                    ok.incrementAndGet();
                    if (record) {
                        okRecorded.incrementAndGet();
                        recorder.recordValue(Math.min(Stats.MAX_NANOS, Math.max(0, done - intended)));
                    }
                } else {
                    failed.incrementAndGet();
                    firstError.compareAndSet(null, e.toString());
                }
                lastDone.accumulateAndGet(done, Math::max);
                inFlight.release();
            });
        }
        // drain
        long drainWait = Math.max(1_000_000_000L, abortAt - System.nanoTime());
        if (!inFlight.tryAcquire(maxInFlight, drainWait, TimeUnit.NANOSECONDS)) {
            firstError.compareAndSet(null, "requests still outstanding after the drain: "
                    + (maxInFlight - inFlight.availablePermits()));
        } else {
            inFlight.release(maxInFlight);
        }
        long end = Math.max(lastDone.get(), System.nanoTime() - 1);
        double wall = (end - measureStart) / 1e9;
        Map<String, Double> cores = new LinkedHashMap<>();
        if (selfCpuBefore >= 0) {
            cores.put("generator", (processCpu() - selfCpuBefore) / 1e9 / wall);
        }
        cpuBefore.forEach((name, before) -> cores.put(name,
                (HubLaunch.cpuNanos(pids.get(name)) - before) / 1e9 / wall));
        Histogram h = recorder.getIntervalHistogram();
        double achieved = okRecorded.get() / Math.max(wall, seconds);
        return new Phase(rate, seconds, total - warmCount, sent, ok.get(), failed.get(), unsent, maxOutstanding, wall,
                achieved, h, cores, firstError.get());
    }

    /** CPU time of this JVM (all threads), ns. */
    static long processCpu() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return HubLaunch.cpuNanos(ProcessHandle.current().pid());
    }

    /** Table header and row (ms). */
    static String header(String first) {
        return String.format(Locale.ROOT, "%-34s %8s %9s %8s %8s %8s %9s %9s %9s %s", first, "offered", "achieved",
                "p50", "p99", "p99.9", "max", "failed", "unsent", "CPU cores");
    }

    static String row(String name, Phase p) {
        StringBuilder cores = new StringBuilder();
        p.coresByProcess().forEach((k, v) -> cores.append(String.format(Locale.ROOT, "%s %.2f  ", k, v)));
        return String.format(Locale.ROOT, "%-34s %8.0f %9.0f %8.2f %8.2f %8.2f %9.1f %9d %9d %s", name,
                p.offeredPerSec(), p.achievedPerSec(), Stats.ms(p.latency(), 50), Stats.ms(p.latency(), 99),
                Stats.ms(p.latency(), 99.9), p.latency().getMaxValue() / 1e6, p.failed(), p.unsent(), cores.toString().trim());
    }
}
