package io.quotahub.chaos.report;

import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.suite.Recorder;
import io.quotahub.chaos.suite.ScenarioResult;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The timeline picture: one row per scenario, each on its own time axis (seconds since the
 * scenario started, the same scale for every row but a scenario far longer than the others, which
 * gets its own, said in its row). In a row: leases per second granted by each hub
 * (as the agents saw them; the label column gives the busiest second), the faults injected during the scenario as shaded spans from inject to
 * heal with their names above, and the gaps (no lease granted by either hub for
 * {@value #GAP_SECONDS} s or more) as grey bars under the chart. The label column gives the
 * scenario, its verdict, its leases and its provider 429s. A legend at the bottom says what each
 * mark is. The picture is at most {@value #WIDTH} px wide; its height grows with the rows.
 * Drawn with java.awt in headless mode.
 */
final class TimelinePng {

    static final int WIDTH = 1400;
    static final int HEADER = 64;
    static final int ROW_HEIGHT = 64;
    static final int FOOTER = 96;
    static final int LABEL_W = 270;
    static final int RIGHT = 24;
    static final int PLOT_W = WIDTH - LABEL_W - RIGHT;
    /** Inside a row: the fault names' strip, then the chart, then the gap bar. */
    static final int NAMES_H = 16;
    static final int CHART_H = 36;
    static final int GAP_BAR_H = 6;
    static final int GAP_SECONDS = 2;
    /** A scenario this many times as long as the median one gets its own time scale. */
    static final int OUTLIER = 4;

    static final Color MAIN = new Color(0x1f77b4);
    static final Color EDGE = new Color(0xff7f0e);
    static final Color FAULT = new Color(230, 60, 60, 70);
    static final Color FAULT_EDGE = new Color(0xd62728);
    static final Color GAP = new Color(0x555555);
    static final Color FAIL = new Color(0xc62828);
    static final Color SKIP = new Color(0x777777);
    static final Color ROW_A = new Color(0xf4f6fa);
    static final Color ROW_B = Color.WHITE;
    static final Color TEXT = new Color(0x222222);

    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font LABEL_BOLD = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private TimelinePng() {
    }

    /** Height of a picture of {@code rows} scenarios. */
    static int height(int rows) {
        return HEADER + Math.max(1, rows) * ROW_HEIGHT + FOOTER;
    }

    /** Top y of row {@code i}. */
    static int rowTop(int i) {
        return HEADER + i * ROW_HEIGHT;
    }

    static void write(Path file, String title, long start, long end, List<Recorder.LeaseRec> leases, List<Fault> faults,
            List<ScenarioResult> results) throws IOException {
        ImageIO.write(render(title, start, end, leases, faults, results), "png", file.toFile());
    }

    static BufferedImage render(String title, long start, long end, List<Recorder.LeaseRec> leases, List<Fault> faults,
            List<ScenarioResult> results) {
        System.setProperty("java.awt.headless", "true");
        int height = height(results.size());
        BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, height);

        // one scale for every row but the outliers: the longest ordinary scenario fills the plot
        double longest = commonSeconds(results);
        double xs = PLOT_W / longest;

        g.setFont(TITLE);
        g.setColor(TEXT);
        g.drawString(title + String.format(Locale.ROOT, " — %d s, %d scenarios, %d faults, %d leases",
                (end - start) / 1_000_000_000L, results.size(), faults.size(), leases.size()), 12, 22);
        timeAxis(g, longest, xs, HEADER - 6, true);

        if (results.isEmpty()) {
            g.setFont(LABEL);
            g.setColor(SKIP);
            g.drawString("no scenario ran", LABEL_W, rowTop(0) + ROW_HEIGHT / 2);
        }
        for (int i = 0; i < results.size(); i++) {
            ScenarioResult r = results.get(i);
            double seconds = (r.endedAt - r.startedAt) / 1e9;
            row(g, i, r, leases, faults, seconds > longest ? PLOT_W / seconds : xs, seconds > longest);
        }
        int axisY = rowTop(Math.max(1, results.size()));
        timeAxis(g, longest, xs, axisY, false);
        legend(g, axisY + 44);
        g.dispose();
        return img;
    }

    /**
     * The seconds the shared time axis spans: the longest scenario, unless it is more than
     * {@value #OUTLIER} times as long as the median one (e.g. the full profile's random mix of
     * 20 minutes beside scenarios of 20 s), then the longest of the others. An outlier row is
     * drawn on its own scale, said in the row.
     */
    static double commonSeconds(List<ScenarioResult> results) {
        List<Double> seconds = new java.util.ArrayList<>();
        for (ScenarioResult r : results) {
            seconds.add(Math.max(1, (r.endedAt - r.startedAt) / 1e9));
        }
        if (seconds.isEmpty()) {
            return 1;
        }
        List<Double> sorted = seconds.stream().sorted().toList();
        double median = sorted.get(sorted.size() / 2);
        return sorted.stream().filter(s -> s <= OUTLIER * median).mapToDouble(Double::doubleValue).max().orElse(median);
    }

    private static void row(Graphics2D g, int i, ScenarioResult r, List<Recorder.LeaseRec> leases, List<Fault> faults, double xs,
            boolean ownScale) {
        int top = rowTop(i);
        g.setColor(i % 2 == 0 ? ROW_A : ROW_B);
        g.fillRect(0, top, WIDTH, ROW_HEIGHT);

        // the label column: name and verdict, leases and 429s
        g.setFont(LABEL_BOLD);
        g.setColor(r.skipped ? SKIP : r.passed() ? TEXT : FAIL);
        g.drawString(fit(g, (i + 1) + ". " + r.scenario, LABEL_W - 70), 12, top + 24);
        String verdict = r.verdict();
        g.drawString(verdict, LABEL_W - 12 - g.getFontMetrics().stringWidth(verdict), top + 24);
        g.setFont(LABEL);
        g.setColor(TEXT);
        String leasesText = r.leases + " leases";
        g.drawString(leasesText, 12, top + 44);
        String four29 = r.provider429 + " × 429";
        g.setColor(r.provider429 > 0 ? FAIL : SKIP);
        g.drawString(four29, 12 + g.getFontMetrics().stringWidth(leasesText) + 14, top + 44);

        int chartTop = top + 4 + NAMES_H;
        int chartBottom = chartTop + CHART_H;
        long from = r.startedAt;
        long to = r.endedAt;
        int seconds = (int) Math.max(1, (to - from + 999_999_999L) / 1_000_000_000L);

        // faults injected during the scenario: shaded span, a line at the inject, the name above
        int labelsEnd = Integer.MIN_VALUE;
        g.setFont(SMALL);
        FontMetrics fm = g.getFontMetrics();
        for (Fault f : faults) {
            if (f.injectedAt() < from || f.injectedAt() > to) {
                continue;
            }
            long healed = f.healedAt() < 0 ? to : Math.min(to, f.healedAt());
            int x0 = x(f.injectedAt() - from, xs);
            int x1 = Math.max(x0 + 2, x(healed - from, xs));
            g.setColor(FAULT);
            g.fillRect(x0, chartTop, x1 - x0, CHART_H);
            g.setColor(FAULT_EDGE);
            g.drawLine(x0, chartTop, x0, chartBottom);
            String name = f.name();
            if (x0 >= labelsEnd + 6) { // a name that would overlap the previous one is left out: the span stays
                g.drawString(name, x0 + 2, chartTop - 4);
                labelsEnd = x0 + 2 + fm.stringWidth(name);
            }
        }

        // leases per second per hub, and the seconds without any lease
        int[] main = new int[seconds];
        int[] edge = new int[seconds];
        boolean[] any = new boolean[seconds];
        for (Recorder.LeaseRec l : leases) {
            if (l.at() < from || l.at() >= to) {
                continue;
            }
            int s = (int) ((l.at() - from) / 1_000_000_000L);
            if (s < seconds) {
                (("main".equals(l.hub())) ? main : edge)[s]++;
                any[s] = true;
            }
        }
        int peak = 0;
        for (int s = 0; s < seconds; s++) {
            peak = Math.max(peak, Math.max(main[s], edge[s]));
        }
        int max = Math.max(1, peak);
        g.setColor(new Color(0xcccccc));
        g.drawLine(LABEL_W, chartBottom, x(to - from, xs), chartBottom);
        g.setStroke(new BasicStroke(1.6f));
        series(g, main, max, xs, chartBottom, MAIN);
        series(g, edge, max, xs, chartBottom, EDGE);
        g.setStroke(new BasicStroke(1f));
        g.setFont(LABEL);
        g.setColor(SKIP);
        String peakText = "peak " + peak + "/s";
        g.drawString(peakText, LABEL_W - 12 - g.getFontMetrics().stringWidth(peakText), top + 44);

        // gaps: a run of GAP_SECONDS or more seconds in which no hub granted a lease
        g.setColor(GAP);
        int runStart = -1;
        for (int s = 0; s <= seconds; s++) {
            boolean empty = s < seconds && !any[s];
            if (empty && runStart < 0) {
                runStart = s;
            } else if (!empty && runStart >= 0) {
                if (s - runStart >= GAP_SECONDS) {
                    int x0 = x(runStart * 1_000_000_000L, xs);
                    int x1 = x(s * 1_000_000_000L, xs);
                    g.fillRect(x0, chartBottom + 2, Math.max(2, x1 - x0), GAP_BAR_H);
                }
                runStart = -1;
            }
        }

        if (ownScale) {
            // its own time scale: ticks on the chart's base line, the span written at the right
            double total = (to - from) / 1e9;
            int step = niceStep(total);
            g.setColor(TEXT);
            for (int s = 0; s <= total; s += step) {
                int x = x(s * 1_000_000_000L, xs);
                g.drawLine(x, chartBottom - 3, x, chartBottom + 3);
            }
            g.setFont(SMALL);
            String note = String.format(Locale.ROOT, "own time scale: 0–%.0f s, a tick every %d s", total, step);
            g.drawString(note, WIDTH - RIGHT - g.getFontMetrics().stringWidth(note), chartTop - 4);
        }
    }

    private static int niceStep(double seconds) {
        return seconds <= 40 ? 5 : seconds <= 120 ? 10 : seconds <= 400 ? 30 : seconds <= 1200 ? 60 : 300;
    }

    private static int x(long nanosSinceStart, double xs) {
        return LABEL_W + (int) Math.round(nanosSinceStart / 1e9 * xs);
    }

    private static void series(Graphics2D g, int[] v, int max, double xs, int bottom, Color c) {
        g.setColor(c);
        int px = -1;
        int py = -1;
        for (int i = 0; i < v.length; i++) {
            int x = LABEL_W + (int) Math.round((i + 0.5) * xs);
            int y = bottom - (int) Math.round((double) v[i] / max * (CHART_H - 2));
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            } else if (v.length == 1) {
                g.fillRect(x - 1, y - 1, 3, 3);
            }
            px = x;
            py = y;
        }
    }

    /** Seconds since the scenario's start, ticks every 5, 10, 30 or 60 s. */
    private static void timeAxis(Graphics2D g, double longest, double xs, int y, boolean above) {
        g.setFont(SMALL);
        g.setColor(TEXT);
        g.drawLine(LABEL_W, y, LABEL_W + PLOT_W, y);
        int step = niceStep(longest);
        for (int s = 0; s <= longest; s += step) {
            int x = LABEL_W + (int) Math.round(s * xs);
            g.drawLine(x, y - 3, x, y + 3);
            String t = s + " s";
            int w = g.getFontMetrics().stringWidth(t);
            g.drawString(t, Math.min(x - w / 2, WIDTH - RIGHT - w), above ? y - 6 : y + 16);
        }
        g.drawString("time since the scenario started", 12, above ? y - 6 : y + 16);
    }

    private static void legend(Graphics2D g, int y) {
        g.setFont(LABEL);
        FontMetrics fm = g.getFontMetrics();
        int x = 12;
        g.setColor(TEXT);
        g.drawString("Legend:", x, y);
        x += fm.stringWidth("Legend:") + 14;
        g.setStroke(new BasicStroke(2f));
        x = mark(g, x, y, "leases/s granted by hub-main", () -> g.drawLine(0, -4, 22, -4), MAIN);
        x = mark(g, x, y, "leases/s granted by hub-edge", () -> g.drawLine(0, -4, 22, -4), EDGE);
        g.setStroke(new BasicStroke(1f));
        x = mark(g, x, y, "fault, inject to heal (name above)", () -> {
            g.setColor(FAULT);
            g.fillRect(0, -12, 22, 14);
            g.setColor(FAULT_EDGE);
            g.drawLine(0, -12, 0, 2);
        }, null);
        mark(g, x, y, "gap: no lease for ≥ " + GAP_SECONDS + " s", () -> g.fillRect(0, -6, 22, GAP_BAR_H), GAP);
        int y2 = y + 22;
        g.setColor(TEXT);
        g.drawString("Label column: scenario and verdict (red: FAIL, grey: SKIP), leases granted, and how often the provider answered 429 (red when > 0).",
                12, y2);
    }

    private static int mark(Graphics2D g, int x, int y, String text, Runnable draw, Color color) {
        g.translate(x, y);
        if (color != null) {
            g.setColor(color);
        }
        draw.run();
        g.translate(-x, -y);
        g.setColor(TEXT);
        g.drawString(text, x + 28, y);
        return x + 28 + g.getFontMetrics().stringWidth(text) + 22;
    }

    private static String fit(Graphics2D g, String text, int width) {
        FontMetrics fm = g.getFontMetrics();
        if (fm.stringWidth(text) <= width) {
            return text;
        }
        String t = text;
        while (t.length() > 1 && fm.stringWidth(t + "…") > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }
}
