package io.quotahub.hub.diagnostics;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.function.Supplier;

/**
 * Check 10: heap used against its maximum ({@code MemoryMXBean}), WARN above the warn ratio
 * (80 %), FAIL above the fail ratio (90 %). The heap reading is a supplier so a test can
 * inject memory pressure.
 */
final class MemoryCheck implements DiagnosticCheck {

    private final Supplier<MemoryUsage> heap;
    private final double warn;
    private final double fail;

    MemoryCheck(Supplier<MemoryUsage> heap, double warn, double fail) {
        this.heap = heap;
        this.warn = warn;
        this.fail = fail;
    }

    static Supplier<MemoryUsage> jvmHeap() {
        return () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public String title() {
        return "Memory";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        MemoryUsage u = heap.get();
        long max = u.getMax() > 0 ? u.getMax() : u.getCommitted();
        double ratio = max <= 0 ? 0 : u.getUsed() / (double) max;
        String what = "Heap " + mib(u.getUsed()) + " used of " + mib(max) + " maximum (" + Findings.percent(ratio) + "), "
                + mib(u.getCommitted()) + " committed";
        if (ratio > fail) {
            f.fail(what + ", above the " + Findings.percent(fail) + " limit: the hub is close to OutOfMemoryError and long GC pauses delay grants",
                    "Raise the heap (-Xmx in JAVA_OPTS of the hub's service) or look for a leak with a heap histogram (jcmd <pid> GC.class_histogram)");
        } else if (ratio > warn) {
            f.warn(what + ", above the " + Findings.percent(warn) + " warning level",
                    "Watch the heap trend; if it keeps rising raise -Xmx or take a heap histogram (jcmd <pid> GC.class_histogram)");
        } else {
            f.note(what);
        }
        return f.result("No action needed: the heap has room");
    }

    private static String mib(long bytes) {
        return (bytes / (1024 * 1024)) + " MiB";
    }
}
