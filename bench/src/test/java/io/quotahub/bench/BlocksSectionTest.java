package io.quotahub.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The one-run report of section 8, from recorded pieces. */
class BlocksSectionTest {

    @Test
    void takesBlockCompareTableFromItsOutput() {
        List<String> output = List.of("load before: 1.0 1.0 1.0", "floor 1000 ...", "",
                "| offered/s | system | achieved/s | p50 | p99 | p99.9 | kept up |", "|---:|---|---:|---:|---:|---:|---|",
                "| 1,000 | generator floor | 1,000 | 95.0 µs | 308 µs | 1,503 µs | yes |", "",
                "- generator floor: kept up with 1,000/s offered; highest rate achieved 1,000/s", "",
                "_3 s measured per phase after 1 s warm-up; load average before 1 1 1, after 2 2 2_",
                "wrote bench/results/block-compare-2026-12-08.json and docs/block-open-loop.png");

        String table = BlocksSection.compareTable(output);

        assertThat(table).startsWith("| offered/s | system |").endsWith("after 2 2 2_").contains("| 1,000 | generator floor |")
                .doesNotContain("wrote").doesNotContain("load before");
        assertThat(BlocksSection.compareTable(List.of("no table"))).contains("printed no table");
    }

    @Test
    void theReportHoldsEveryTableAndBothLoads() {
        String md = BlocksSection.report(Instant.parse("2026-12-08T01:00:00Z"), "load average: 0.10, 0.20, 0.30",
                "load average: 1.10, 1.20, 1.30", Path.of("bench/results/jmh.json"), "| jmh |\n", "| compare |",
                List.of("| spare |\n", "| saturated |\n"), Map.of());

        assertThat(md).contains("load average: 0.10, 0.20, 0.30", "load average: 1.10, 1.20, 1.30", "| jmh |", "| compare |",
                "| spare |", "| saturated |", "-f 1 -wi 3 -w 2s -i 5 -r 2s -prof gc", "docs/block-fairness-spare-room.png");
        assertThat(md.indexOf("| jmh |")).isLessThan(md.indexOf("| compare |"));
        assertThat(md.indexOf("| spare |")).isLessThan(md.indexOf("| saturated |"));
    }
}
