package io.quotahub.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Latency against offered rate as a PNG (headless java.awt): x = offered acquires/s (linear),
 * y = latency in ms (log scale, 0.1 ms … 10 s), one line per series, a dashed line at the 5 ms
 * target. Points of a series that did not keep up (unsent or failed sends) are drawn hollow.
 */
final class LatencyPlot {

    /** One line: {@code x} offered rates, {@code y} latencies in ms; {@code kept[i]} false = overloaded point. */
    record Series(String name, Color color, boolean dashed, double[] x, double[] y, boolean[] kept) {
    }

    private LatencyPlot() {
    }

    static void write(Path png, String title, String subtitle, List<Series> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 1000;
        int h = 640;
        int left = 80;
        int right = 250;
        int top = 60;
        int bottom = 60;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double xMax = 0;
        for (Series s : series) {
            for (double x : s.x) {
                xMax = Math.max(xMax, x);
            }
        }
        xMax = niceCeil(xMax * 1.05);
        double yMinLog = -1; // 0.1 ms
        double yMaxLog = 4;  // 10 s
        int pw = w - left - right;
        int ph = h - top - bottom;
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.setColor(Color.BLACK);
        g.drawString(title, left, 25);
        g.setFont(small);
        g.drawString(subtitle, left, 45);
        // grid
        for (int e = (int) yMinLog; e <= yMaxLog; e++) {
            int y = yPix(Math.pow(10, e), yMinLog, yMaxLog, top, ph);
            g.setColor(new Color(220, 220, 220));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            String label = e < 0 ? "0.1 ms" : e < 3 ? (int) Math.pow(10, e) + " ms" : (int) Math.pow(10, e - 3) + " s";
            g.drawString(label, left - 60, y + 4);
        }
        int ticks = 8;
        for (int i = 0; i <= ticks; i++) {
            double xv = xMax * i / ticks;
            int x = left + (int) (pw * xv / xMax);
            g.setColor(new Color(235, 235, 235));
            g.drawLine(x, top, x, top + ph);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.0fk", xv / 1000), x - 10, top + ph + 18);
        }
        g.drawString("offered rate (requests/s, open loop)", left + pw / 2 - 100, top + ph + 40);
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        // 5 ms target
        Stroke dash = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0);
        int y5 = yPix(5, yMinLog, yMaxLog, top, ph);
        g.setColor(new Color(200, 0, 0));
        g.setStroke(dash);
        g.drawLine(left, y5, left + pw, y5);
        g.drawString("p99 target 5 ms", left + 5, y5 - 4);
        // series
        int legendY = top + 10;
        for (Series s : series) {
            g.setColor(s.color);
            g.setStroke(s.dashed ? dash : new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (int i = 0; i < s.x.length; i++) {
                int x = left + (int) (pw * s.x[i] / xMax);
                int y = yPix(Math.max(0.1, s.y[i]), yMinLog, yMaxLog, top, ph);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.setStroke(new BasicStroke(2f));
                if (s.kept == null || s.kept[i]) {
                    g.fillOval(x - 4, y - 4, 8, 8);
                } else {
                    g.drawOval(x - 5, y - 5, 10, 10);
                }
                g.setStroke(s.dashed ? dash : new BasicStroke(2f));
                px = x;
                py = y;
            }
            g.setStroke(s.dashed ? dash : new BasicStroke(2f));
            g.drawLine(left + pw + 15, legendY, left + pw + 45, legendY);
            g.setColor(Color.BLACK);
            g.drawString(s.name, left + pw + 50, legendY + 4);
            legendY += 20;
        }
        g.setColor(Color.DARK_GRAY);
        g.drawString("hollow = did not keep up", left + pw + 15, legendY + 10);
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(img, "png", png.toFile());
    }

    private static int yPix(double ms, double minLog, double maxLog, int top, int ph) {
        double l = Math.log10(ms);
        l = Math.max(minLog, Math.min(maxLog, l));
        return top + (int) (ph * (maxLog - l) / (maxLog - minLog));
    }

    private static double niceCeil(double v) {
        if (v <= 0) {
            return 1;
        }
        double mag = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (m * mag >= v) {
                return m * mag;
            }
        }
        return 10 * mag;
    }
}
