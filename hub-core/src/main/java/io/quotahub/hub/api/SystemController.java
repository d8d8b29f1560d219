package io.quotahub.hub.api;

import io.micronaut.security.annotation.Secured;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;

/** {@code GET /api/v1/system}: CPU and memory of this hub's process, for the dashboard's Overview. */
@Secured("VIEWER")
@Controller("/api/v1")
public class SystemController {

    private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    @Get("/system")
    public SystemBody system() {
        MemoryUsage heap = memory.getHeapMemoryUsage();
        return new SystemBody(processCpuLoad(), heap.getUsed(), heap.getMax(), memory.getNonHeapMemoryUsage().getUsed(),
                os.getAvailableProcessors(), ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
    }

    /** Recent CPU use of this process over all processors (0–1), or -1 where the JVM cannot tell. */
    private double processCpuLoad() {
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            double load = sun.getProcessCpuLoad();
            return load < 0 ? -1 : Math.round(load * 1000) / 1000.0;
        }
        return -1;
    }
}
