package io.quotahub.chaos.report;

import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.suite.Recorder;
import io.quotahub.chaos.suite.ScenarioResult;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The timeline picture: leases per second granted by each hub (as the agents saw them), faults
 * as shaded spans from inject to heal with their names, scenarios as labelled bands at the top.
 * Drawn with java.awt in headless mode.
 */
final class TimelinePng {

    private static final Color MAIN = new Color(0x1f77b4);
    private static final Color EDGE = new Color(0xff7f0e);
    private static final Color FAULT = new Color(220, 40, 40, 55);
    private static final Color FAIL = new Color(0xd62728);
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 60;
    private static final int BOTTOM = 40;
    private static final int PLOT_H = 320;

    private TimelinePng() {
    }

    static void write(Path file, long start, long end, List<Recorder.LeaseRec> leases, List<Fault> faults,
            List<ScenarioResult> results) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int seconds = (int) Math.max(1, (end - start) / 1_000_000_000L + 1);
        int plotW = Math.max(800, Math.min(4000, seconds * 4));
        int width = LEFT + plotW + RIGHT;
        int height = TOP + PLOT_H + BOTTOM;
        int[] main = new int[seconds];
        int[] edge = new int[seconds];
        for (Recorder.LeaseRec l : leases) {
            int s = (int) ((l.at() - start) / 1_000_000_000L);
            if (s >= 0 && s < seconds) {
                if ("main".equals(l.hub())) {
                    main[s]++;
                } else {
                    edge[s]++;
                }
            }
        }
        int max = 1;
        for (int i = 0; i < seconds; i++) {
            max = Math.max(max, Math.max(main[i], edge[i]));
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        double xs = (double) plotW / seconds;
        // scenarios: bands at the top
        int band = 0;
        for (ScenarioResult r : results) {
            int x0 = LEFT + (int) ((r.startedAt - start) / 1e9 * xs);
            int x1 = LEFT + (int) ((r.endedAt - start) / 1e9 * xs);
            g.setColor(band++ % 2 == 0 ? new Color(235, 235, 245) : new Color(245, 245, 235));
            g.fillRect(x0, TOP, Math.max(1, x1 - x0), PLOT_H);
            g.setColor(r.passed() ? Color.DARK_GRAY : FAIL);
            g.drawString(r.scenario + (r.passed() ? "" : " FAIL"), x0 + 2, TOP - 6 - (band % 2) * 12);
        }
        // faults: shaded spans, labels staggered so that neighbours stay readable
        int n = 0;
        for (Fault f : faults) {
            int x0 = LEFT + (int) ((f.injectedAt() - start) / 1e9 * xs);
            long healed = f.healedAt() < 0 ? end : f.healedAt();
            int x1 = LEFT + (int) ((healed - start) / 1e9 * xs);
            g.setColor(FAULT);
            g.fillRect(x0, TOP, Math.max(2, x1 - x0), PLOT_H);
            g.setColor(FAIL);
            g.drawLine(x0, TOP, x0, TOP + PLOT_H);
            g.drawString(f.name(), x0 + 2, TOP + 12 + (n++ % 3) * 12);
        }
        // axes
        g.setColor(Color.BLACK);
        g.drawLine(LEFT, TOP + PLOT_H, LEFT + plotW, TOP + PLOT_H);
        g.drawLine(LEFT, TOP, LEFT, TOP + PLOT_H);
        for (int v = 0; v <= max; v += Math.max(1, max / 5)) {
            int y = TOP + PLOT_H - (int) ((double) v / max * PLOT_H);
            g.drawString(Integer.toString(v), LEFT - 30, y + 4);
        }
        int step = seconds <= 120 ? 10 : seconds <= 600 ? 30 : 120;
        for (int s = 0; s < seconds; s += step) {
            int x = LEFT + (int) (s * xs);
            g.drawLine(x, TOP + PLOT_H, x, TOP + PLOT_H + 4);
            g.drawString(s + "s", x - 8, TOP + PLOT_H + 16);
        }
        // leases per second per hub
        g.setStroke(new BasicStroke(1.5f));
        series(g, main, max, xs, MAIN);
        series(g, edge, max, xs, EDGE);
        g.setColor(MAIN);
        g.drawString("leases/s granted by hub-main", LEFT, 14);
        g.setColor(EDGE);
        g.drawString("leases/s granted by hub-edge", LEFT + 180, 14);
        g.setColor(FAIL);
        g.drawString("shaded: fault from inject to heal", LEFT + 360, 14);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void series(Graphics2D g, int[] v, int max, double xs, Color c) {
        g.setColor(c);
        int px = -1;
        int py = -1;
        for (int i = 0; i < v.length; i++) {
            int x = LEFT + (int) ((i + 0.5) * xs);
            int y = TOP + PLOT_H - (int) ((double) v[i] / max * PLOT_H);
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            px = x;
            py = y;
        }
    }
}
