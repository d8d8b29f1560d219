package io.quotahub.chaos.report;

import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.nemesis.FaultKind;
import io.quotahub.chaos.nemesis.TestFaults;
import io.quotahub.chaos.suite.Recorder;
import io.quotahub.chaos.suite.ScenarioResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The timeline of a small run, written as a PNG and read back: its size, one band per scenario,
 * each scenario's leases, faults and gaps drawn in its own row.
 */
class TimelinePngTest {

    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_700_000_000L * S;

    /** Three scenarios of 20 s: leases every 200 ms on both hubs, with holes and faults as each says. */
    private final List<ScenarioResult> results = new ArrayList<>();
    private final List<Recorder.LeaseRec> leases = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();

    private void scenario(String name, int index, long gapFromS, long gapToS, FaultKind fault, boolean fails) {
        long from = T0 + index * 20 * S;
        ScenarioResult r = new ScenarioResult(name, from, from + 20 * S);
        for (long t = from; t < from + 20 * S; t += 200_000_000L) {
            long s = (t - from) / S;
            if (s >= gapFromS && s < gapToS) {
                continue;
            }
            String hub = (t / 200_000_000L) % 2 == 0 ? "main" : "edge";
            leases.add(new Recorder.LeaseRec("a", hub, "chaos", hub, "k1", "l" + t, t, t));
            r.leases++;
        }
        if (fault != null) {
            faults.add(TestFaults.fault(fault, "main", from + 5 * S, from + 9 * S));
        }
        if (fails) {
            r.failures.add("failover gap 4000 ms");
            r.provider429 = 3;
        }
        results.add(r);
    }

    private BufferedImage writeAndRead(Path dir) throws Exception {
        Path png = dir.resolve("timeline.png");
        TimelinePng.write(png, "Chaos run, profile quick, seed 1", T0, T0 + results.size() * 20 * S, leases, faults, results);
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img).as("timeline.png read back").isNotNull();
        // kept to look at: target/timeline-test/timeline-<rows>.png
        Path keep = Files.createDirectories(Path.of("target", "timeline-test"));
        Files.copy(png, keep.resolve("timeline-" + results.size() + ".png"), StandardCopyOption.REPLACE_EXISTING);
        return img;
    }

    @Test
    void oneRowPerScenarioInAPictureAtMost1600PixelsWide(@TempDir Path dir) throws Exception {
        scenario("burst", 0, -1, -1, null, false);
        scenario("kill-hub-main", 1, 5, 9, FaultKind.KILL_HUB, true);
        scenario("split-cut", 2, -1, -1, FaultKind.SPLIT_CUT, false);
        BufferedImage three = writeAndRead(dir);

        assertThat(three.getWidth()).as("width").isLessThanOrEqualTo(1600).isEqualTo(TimelinePng.WIDTH);
        assertThat(three.getHeight()).as("height").isEqualTo(TimelinePng.height(3));
        // each row is a band of its own background, alternating, in the label column below the text
        for (int i = 0; i < 3; i++) {
            Color expected = i % 2 == 0 ? TimelinePng.ROW_A : TimelinePng.ROW_B;
            assertThat(new Color(three.getRGB(4, TimelinePng.rowTop(i) + TimelinePng.ROW_HEIGHT - 3)))
                    .as("background of row %d", i).isEqualTo(expected);
        }

        scenario("pause-hub-edge", 3, -1, -1, FaultKind.PAUSE_HUB, false);
        scenario("restart-both", 4, -1, -1, FaultKind.RESTART_BOTH, false);
        scenario("agent-crash", 5, -1, -1, FaultKind.AGENT_CRASH, false);
        BufferedImage six = writeAndRead(dir);
        assertThat(six.getWidth()).as("width with 6 rows").isEqualTo(three.getWidth());
        assertThat(six.getHeight() - three.getHeight()).as("height grows by a row per scenario")
                .isEqualTo(3 * TimelinePng.ROW_HEIGHT);
    }

    @Test
    void eachRowShowsItsLeasesItsFaultsAndItsGaps(@TempDir Path dir) throws Exception {
        scenario("burst", 0, -1, -1, null, false);
        scenario("kill-hub-main", 1, 5, 9, FaultKind.KILL_HUB, true);
        BufferedImage img = writeAndRead(dir);

        int chartTop0 = TimelinePng.rowTop(0) + 4 + TimelinePng.NAMES_H;
        int chartTop1 = TimelinePng.rowTop(1) + 4 + TimelinePng.NAMES_H;
        // the fault (5 s to 9 s of row 1) is shaded red in row 1, not in row 0
        int faultX = TimelinePng.LABEL_W + (int) (7 * (TimelinePng.PLOT_W / 20.0));
        assertThat(reddish(img, faultX, chartTop1 + 3)).as("fault shade in row 1").isTrue();
        assertThat(reddish(img, faultX, chartTop0 + 3)).as("no fault shade in row 0").isFalse();
        // the 4 s without leases in row 1 is a grey gap bar under its chart; row 0 has none
        int gapY = TimelinePng.CHART_H + 2 + TimelinePng.GAP_BAR_H / 2;
        assertThat(new Color(img.getRGB(faultX, chartTop1 + gapY))).as("gap bar in row 1").isEqualTo(TimelinePng.GAP);
        assertThat(new Color(img.getRGB(faultX, chartTop0 + gapY))).as("no gap bar in row 0").isNotEqualTo(TimelinePng.GAP);
        // both hubs' lease lines are drawn in row 0's chart
        assertThat(countColor(img, TimelinePng.LABEL_W, chartTop0, TimelinePng.PLOT_W, TimelinePng.CHART_H + 1, TimelinePng.MAIN))
                .as("hub-main's line in row 0").isPositive();
        assertThat(countColor(img, TimelinePng.LABEL_W, chartTop0, TimelinePng.PLOT_W, TimelinePng.CHART_H + 1, TimelinePng.EDGE))
                .as("hub-edge's line in row 0").isPositive();
        // the failed scenario's label is red, the passed one's is not
        assertThat(countColor(img, 0, TimelinePng.rowTop(1), TimelinePng.LABEL_W, TimelinePng.ROW_HEIGHT, TimelinePng.FAIL))
                .as("red text in the failed row's label").isPositive();
        assertThat(countColor(img, 0, TimelinePng.rowTop(0), TimelinePng.LABEL_W, TimelinePng.ROW_HEIGHT, TimelinePng.FAIL))
                .as("red text in the passed row's label").isZero();
        // the legend below the rows shows the fault mark
        int legendTop = TimelinePng.rowTop(2);
        assertThat(countColor(img, 0, legendTop, TimelinePng.WIDTH, TimelinePng.FOOTER, TimelinePng.GAP))
                .as("gap mark in the legend").isPositive();
    }

    @Test
    void aScenarioFarLongerThanTheOthersGetsItsOwnScaleAndTheOthersKeepTheirs(@TempDir Path dir) throws Exception {
        scenario("burst", 0, -1, -1, null, false);
        scenario("kill-hub-main", 1, 5, 9, FaultKind.KILL_HUB, true);
        scenario("split-cut", 2, -1, -1, FaultKind.SPLIT_CUT, false);
        long mixFrom = T0 + 60 * S;
        ScenarioResult mix = new ScenarioResult("random-mix", mixFrom, mixFrom + 1200 * S);
        faults.add(TestFaults.fault(FaultKind.PAUSE_HUB, "edge", mixFrom + 600 * S, mixFrom + 660 * S));
        results.add(mix);
        BufferedImage img = writeAndRead(dir);

        assertThat(TimelinePng.commonSeconds(results)).as("the shared axis spans the 20 s scenarios").isEqualTo(20.0);
        // kill-hub-main's fault (5 s to 9 s) is where it is with three 20 s rows only
        int chartTop1 = TimelinePng.rowTop(1) + 4 + TimelinePng.NAMES_H;
        assertThat(reddish(img, TimelinePng.LABEL_W + (int) (7 * (TimelinePng.PLOT_W / 20.0)), chartTop1 + 3))
                .as("fault shade of row 1 on the 20 s scale").isTrue();
        // the mix's fault (600 s to 660 s of 1200 s) is in the middle of its row, on the row's own scale
        int chartTop3 = TimelinePng.rowTop(3) + 4 + TimelinePng.NAMES_H;
        assertThat(reddish(img, TimelinePng.LABEL_W + (int) (630 * (TimelinePng.PLOT_W / 1200.0)), chartTop3 + 3))
                .as("fault shade of the long row on its own scale").isTrue();
        assertThat(reddish(img, TimelinePng.LABEL_W + (int) (0.3 * TimelinePng.PLOT_W), chartTop3 + 3))
                .as("no shade elsewhere in the long row").isFalse();
    }

    private static boolean reddish(BufferedImage img, int x, int y) {
        Color c = new Color(img.getRGB(x, y));
        return c.getRed() > c.getGreen() + 30 && c.getRed() > c.getBlue() + 30;
    }

    private static int countColor(BufferedImage img, int x0, int y0, int w, int h, Color color) {
        int n = 0;
        for (int y = y0; y < Math.min(img.getHeight(), y0 + h); y++) {
            for (int x = x0; x < Math.min(img.getWidth(), x0 + w); x++) {
                if (img.getRGB(x, y) == color.getRGB()) {
                    n++;
                }
            }
        }
        return n;
    }
}
