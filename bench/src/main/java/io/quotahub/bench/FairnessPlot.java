package io.quotahub.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * {@link BlockFairness} as a PNG (headless java.awt): three panels with block max-calls on a log x
 * axis: goodput (share of the key's capacity served), Jain's fairness index, and the calls served
 * per block granted (what blocks save the hub), one line per expiry (and per max-share-per-agent, when set).
 */
final class FairnessPlot {

    private static final Color[] COLORS = {new Color(0, 90, 200), new Color(200, 60, 0), new Color(0, 150, 60),
            new Color(130, 0, 160), new Color(90, 90, 90)};

    private FairnessPlot() {
    }

    static void write(Path png, List<BlockFairness.Result> results) throws IOException {
        int w = 1120;
        int h = 560;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = titled(img, "Block size and expiry: goodput against fairness (engine, one key of "
                + BlockFairness.CAPACITY + " calls/s, 240/s asked)",
                "2 heavy agents (100/s) and 8 light ones (5/s); Jain's index of served / max-min fair share (1 = fair)");
        Map<String, List<BlockFairness.Result>> series = series(results);
        double maxCalls = results.stream().mapToInt(BlockFairness.Result::maxCalls).max().orElse(1);
        double mostPerGrant = results.stream().mapToDouble(FairnessPlot::callsPerGrant).max().orElse(1);
        new Panel<BlockFairness.Result>(60, 80, 290, 380, "goodput (% of capacity served)", 0, 100, "%.0f %%")
                .draw(g, series, BlockFairness.Result::maxCalls, r -> 100 * r.goodput(), maxCalls);
        new Panel<BlockFairness.Result>(420, 80, 290, 380, "Jain's fairness index", 0, 1, "%.1f")
                .draw(g, series, BlockFairness.Result::maxCalls, BlockFairness.Result::jain, maxCalls);
        new Panel<BlockFairness.Result>(780, 80, 290, 380, "calls per block granted (hub grants saved)", 0, Math.max(2, Math.ceil(mostPerGrant)), "%.1f")
                .draw(g, series, BlockFairness.Result::maxCalls, FairnessPlot::callsPerGrant, maxCalls);
        int lx = 60;
        int ly = h - 40;
        int i = 0;
        for (String name : series.keySet()) {
            g.setColor(COLORS[i++ % COLORS.length]);
            g.setStroke(new BasicStroke(2f));
            g.drawLine(lx, ly, lx + 30, ly);
            g.fillOval(lx + 11, ly - 4, 8, 8);
            g.setColor(Color.BLACK);
            g.drawString(name, lx + 36, ly + 4);
            lx += 60 + g.getFontMetrics().stringWidth(name);
        }
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(img, "png", png.toFile());
    }

    /** Calls served per block granted: 1 = per-call leases, more = hub round trips saved. */
    static double callsPerGrant(BlockFairness.Result r) {
        return r.grantsPerSec() <= 0 ? 0 : r.goodput() * BlockFairness.CAPACITY / r.grantsPerSec();
    }

    /** The results as lines: one per (expiry, max-share-per-agent), in order of max-calls. */
    static Map<String, List<BlockFairness.Result>> series(List<BlockFairness.Result> results) {
        Map<String, List<BlockFairness.Result>> by = new LinkedHashMap<>();
        for (BlockFairness.Result r : results) {
            String name = String.format(Locale.ROOT, "expiry %s s", r.expiryMs() % 1000 == 0
                    ? Long.toString(r.expiryMs() / 1000) : Double.toString(r.expiryMs() / 1000.0))
                    + (r.maxShare() > 0 ? ", max-share-per-agent " + r.maxShare() : "");
            by.computeIfAbsent(name, k -> new ArrayList<>()).add(r);
        }
        by.values().forEach(l -> l.sort(Comparator.comparingInt(BlockFairness.Result::maxCalls)));
        return by;
    }

    /**
     * The spare-room scenario ({@link SpareRoomFairness}) as a PNG: one row of panels per demand level
     * (max-share-per-agent off), block max-calls on a log x axis, one line per expiry: the benefit
     * (calls served per block granted) beside the costs (time the key was throttled, calls that waited
     * for the hub, Jain's index).
     */
    static void writeTradeOff(Path png, List<SpareRoomFairness.Result> results) throws IOException {
        List<Double> levels = results.stream().map(SpareRoomFairness.Result::scale).distinct().toList();
        int w = 1480;
        int rowHeight = 330;
        int h = 110 + rowHeight * levels.size() + 40;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = titled(img, "Block size and expiry on a key with room: what blocks save against what they cost"
                + " (the SDK's block supply against the engine, one key of " + SpareRoomFairness.CAPACITY + " calls/s)",
                "10 agents: 2 steady, 3 bursty, 1 on-off (idle while holding its blocks), 1 late, 3 light; 1 ms steps, hub round trip "
                + SpareRoomFairness.RTT_MS + " ms; max-share-per-agent off (on gives the same lines)");
        double maxCalls = results.stream().mapToInt(SpareRoomFairness.Result::maxCalls).max().orElse(1);
        double mostPerGrant = results.stream().mapToDouble(SpareRoomFairness.Result::callsPerGrant).max().orElse(1);
        double mostWaited = results.stream().mapToDouble(SpareRoomFairness.Result::waited).max().orElse(0.1);
        int top = 100;
        for (double level : levels) {
            List<SpareRoomFairness.Result> row = results.stream().filter(r -> r.scale() == level && r.maxShare() == 0).toList();
            Map<String, List<SpareRoomFairness.Result>> series = new LinkedHashMap<>();
            for (SpareRoomFairness.Result r : row) {
                series.computeIfAbsent("expiry " + SpareRoomFairness.seconds(r.expiryMs()) + " s", k -> new ArrayList<>()).add(r);
            }
            String demand = String.format(Locale.ROOT, "%.0f %% demand: ", 100 * row.get(0).demand());
            ToDoubleFunction<SpareRoomFairness.Result> x = SpareRoomFairness.Result::maxCalls;
            new Panel<SpareRoomFairness.Result>(80, top, 270, rowHeight - 90, demand + "calls per grant (benefit)", 0,
                    Math.max(2, Math.ceil(mostPerGrant)), "%.1f").draw(g, series, x, SpareRoomFairness.Result::callsPerGrant, maxCalls);
            new Panel<SpareRoomFairness.Result>(440, top, 270, rowHeight - 90, demand + "key throttled, % of time (cost)", 0, 100,
                    "%.0f %%").draw(g, series, x, r -> 100 * r.throttled(), maxCalls);
            new Panel<SpareRoomFairness.Result>(800, top, 270, rowHeight - 90, demand + "calls that waited for the hub (cost)", 0,
                    Math.ceil(100 * mostWaited / 10) * 10, "%.0f %%").draw(g, series, x, r -> 100 * r.waited(), maxCalls);
            new Panel<SpareRoomFairness.Result>(1160, top, 270, rowHeight - 90, demand + "Jain's index (cost if below 1)", 0, 1,
                    "%.1f").draw(g, series, x, SpareRoomFairness.Result::jain, maxCalls);
            top += rowHeight;
        }
        legend(g, results.stream().filter(r -> r.scale() == levels.get(0) && r.maxShare() == 0)
                .map(r -> "expiry " + SpareRoomFairness.seconds(r.expiryMs()) + " s").distinct().toList(), 80, h - 30);
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(img, "png", png.toFile());
    }

    private static void legend(Graphics2D g, List<String> names, int x, int y) {
        int lx = x;
        int i = 0;
        for (String name : names) {
            g.setColor(COLORS[i++ % COLORS.length]);
            g.setStroke(new BasicStroke(2f));
            g.drawLine(lx, y, lx + 30, y);
            g.fillOval(lx + 11, y - 4, 8, 8);
            g.setColor(Color.BLACK);
            g.drawString(name, lx + 36, y + 4);
            lx += 60 + g.getFontMetrics().stringWidth(name);
        }
        g.setStroke(new BasicStroke(1f));
    }

    private record Panel<R>(int left, int top, int width, int height, String title, double yMin, double yMax, String yFormat) {

        void draw(Graphics2D g, Map<String, List<R>> series, ToDoubleFunction<R> x, ToDoubleFunction<R> y, double maxCalls) {
            double xMaxLog = Math.ceil(Math.log10(Math.max(10, maxCalls)));
            g.setColor(Color.BLACK);
            g.drawString(title, left, top - 8);
            for (int i = 0; i <= 5; i++) {
                double v = yMin + (yMax - yMin) * i / 5;
                int py = py(v);
                g.setColor(new Color(225, 225, 225));
                g.drawLine(left, py, left + width, py);
                g.setColor(Color.DARK_GRAY);
                g.drawString(String.format(Locale.ROOT, yFormat, v), left - 50, py + 4);
            }
            for (int e = 0; e <= xMaxLog; e++) {
                for (int m : new int[] {1, 2, 5}) {
                    double v = m * Math.pow(10, e);
                    if (v > Math.pow(10, xMaxLog)) {
                        continue;
                    }
                    int px = px(v, xMaxLog);
                    g.setColor(new Color(235, 235, 235));
                    g.drawLine(px, top, px, top + height);
                    g.setColor(Color.DARK_GRAY);
                    g.drawString(String.format(Locale.ROOT, "%.0f", v), px - 6, top + height + 16);
                }
            }
            g.drawString("block max-calls (log scale)", left + width / 2 - 75, top + height + 34);
            g.setColor(Color.BLACK);
            g.drawRect(left, top, width, height);
            int i = 0;
            for (List<R> line : series.values()) {
                g.setColor(COLORS[i++ % COLORS.length]);
                g.setStroke(new BasicStroke(2f));
                int lastX = -1;
                int lastY = -1;
                for (R r : line) {
                    int px = px(x.applyAsDouble(r), xMaxLog);
                    int py = py(y.applyAsDouble(r));
                    if (lastX >= 0) {
                        g.drawLine(lastX, lastY, px, py);
                    }
                    g.fillOval(px - 4, py - 4, 8, 8);
                    lastX = px;
                    lastY = py;
                }
            }
            g.setStroke(new BasicStroke(1f));
        }

        private int px(double maxCalls, double xMaxLog) {
            return left + (int) (width * Math.log10(Math.max(1, maxCalls)) / xMaxLog);
        }

        private int py(double v) {
            double f = (Math.max(yMin, Math.min(yMax, v)) - yMin) / (yMax - yMin);
            return top + height - (int) (height * f);
        }
    }

    /** A white canvas with the plot's title and subtitle drawn; the graphics left in black, plain 12 pt for the caller. */
    private static Graphics2D titled(BufferedImage img, String title, String subtitle) {
        System.setProperty("java.awt.headless", "true");
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 60, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(subtitle, 60, 45);
        return g;
    }
}
