package io.quotahub.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The JMH table of section 8, rendered from a recorded result file (the idle run of 2026-12-07). */
class JmhBlockTableTest {

    private static final Path RECORDED = Path.of("results/jmh-block-acquire-idle-2026-12-07.json");

    @Test
    void rendersTheRecordedRunAsTheDocsTable() throws Exception {
        List<JmhBlockTable.Row> rows = JmhBlockTable.rows(Files.readString(RECORDED));

        assertThat(rows).extracting(JmhBlockTable.Row::method)
                .containsExactly("blockTryAcquire", "resilience4jAcquirePermission", "bucket4jTryConsume");
        String md = JmhBlockTable.markdown(rows);
        assertThat(md).contains("| SDK block `tryAcquire(1)` | **34.0 ± 1.9** | **54** | 57 | 61 | 2 903 | 0.006 B/op | 0.79 | 0.82 |");
        assertThat(md).contains("| resilience4j `acquirePermission()` | 43.2 ± 2.4 | 66 | 69 | 96 | 3 252 | 40.000 B/op | 1.00 | 1.00 |");
        assertThat(md).contains("| bucket4j `tryConsume(1)` | 46.3 ± 5.2 | 62 | 66 | 138 | 3 298 | 64.000 B/op | 1.07 | 0.94 |");
        assertThat(md).contains("block p50 54 ns ≤ 1 µs; 0.82 × resilience4j's p50 and 0.79 × its average (target ≤ 2 ×: met)");
    }

    @Test
    void aMissingMethodOrModeLeavesGapsNotErrors() throws Exception {
        String json = """
                [{"benchmark": "io.quotahub.bench.BlockAcquireBenchmark.blockTryAcquire", "mode": "avgt", "threads": 1,
                  "primaryMetric": {"score": 40.0, "scoreError": "NaN"}, "secondaryMetrics": {}}]
                """;
        String md = JmhBlockTable.markdown(JmhBlockTable.rows(json));

        assertThat(md).contains("| SDK block `tryAcquire(1)` | **40.0** | **–** | – | – | – | – | – | – |");
        assertThat(md).doesNotContain("Against the targets");
    }
}
