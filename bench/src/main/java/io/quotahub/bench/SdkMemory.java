package io.quotahub.bench;

import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Locale;

/**
 * Run by {@link Scale} in a fresh JVM: heap used (MemoryMXBean, after GC) with no client, then with
 * one open {@link QuotaClient} that has taken {@code n} leases (acquire + complete) from the hub at
 * {@code url}, minus the baseline. Also non-heap (metaspace, code cache), threads and the process RSS.
 * Prints one JSON line.
 *
 * <pre>java -cp bench.jar io.quotahub.bench.SdkMemory nats://127.0.0.1:4222 pool [n]</pre>
 */
public final class SdkMemory {

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String pool = args[1];
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long pid = ProcessHandle.current().pid();
        long[] base = settle(mem, pid);
        QuotaClient client = QuotaClient.builder().servers(url).agentId("bench-sdk-memory").build();
        for (int i = 0; i < n; i++) {
            Lease lease = client.acquire(pool, 1, Duration.ofSeconds(5));
            lease.complete(1);
        }
        long[] with = settle(mem, pid);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("leases", n);
        m.put("heapBaselineBytes", base[0]);
        m.put("heapWithClientBytes", with[0]);
        m.put("heapDeltaBytes", with[0] - base[0]);
        m.put("nonHeapDeltaBytes", with[1] - base[1]);
        m.put("threadsBaseline", base[2]);
        m.put("threadsWithClient", with[2]);
        m.put("rssBaselineKiB", base[3]);
        m.put("rssWithClientKiB", with[3]);
        System.out.println(BenchJson.compact(m)); // one line, starting {"leases": Scale reads it
        client.close();
        System.exit(0);
    }

    /** {heap used, non-heap used, live threads, RSS KiB} after a few full GCs. */
    private static long[] settle(MemoryMXBean mem, long pid) throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return new long[] {mem.getHeapMemoryUsage().getUsed(), mem.getNonHeapMemoryUsage().getUsed(),
                ManagementFactory.getThreadMXBean().getThreadCount(), HubLaunch.rssKiB(pid)};
    }
}
