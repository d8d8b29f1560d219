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
 * Latency against offered rate as a PNG (headless java.awt): x = offered acquires/s (linear, or log
 * for rates a decade apart), y = latency in ms (log scale, 0.1 ms … 10 s, or from 1 µs for
 * in-process answers), one line per series, a dashed line at the 5 ms
 * target. Points of a series that did not keep up (unsent or failed sends) are drawn hollow.
 */
final class LatencyPlot {

    /** One line: {@code x} offered rates, {@code y} latencies in ms; {@code kept[i]} false = overloaded point. */
    record Series(String name, Color color, boolean dashed, double[] x, double[] y, boolean[] kept) {
    }

    private LatencyPlot() {
    }

    static void write(Path png, String title, String subtitle, List<Series> series) throws IOException {
        write(png, title, subtitle, series, false, -1);
    }

    /** {@code logX}: rates on a log axis; {@code yMinLog}: the lowest latency drawn, 10^yMinLog ms. */
    static void write(Path png, String title, String subtitle, List<Series> series, boolean logX, int yMinLog)
            throws IOException {
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
        double xMinPositive = Double.MAX_VALUE;
        for (Series s : series) {
            for (double x : s.x) {
                xMax = Math.max(xMax, x);
                xMinPositive = Math.min(xMinPositive, Math.max(1, x));
            }
        }
        XAxis xAxis = logX ? new XAxis(true, Math.floor(Math.log10(Math.min(xMinPositive, xMax))), Math.ceil(Math.log10(Math.max(10, xMax))))
                : new XAxis(false, 0, niceCeil(xMax * 1.05));
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
            String label = e == -3 ? "1 µs" : e == -2 ? "10 µs" : e < 0 ? "0.1 ms" : e < 3 ? (int) Math.pow(10, e) + " ms" : (int) Math.pow(10, e - 3) + " s";
            g.drawString(label, left - 60, y + 4);
        }
        int ticks = xAxis.log ? (int) (xAxis.max - xAxis.min) : 8;
        for (int i = 0; i <= ticks; i++) {
            double xv = xAxis.log ? Math.pow(10, xAxis.min + i) : xAxis.max * i / ticks;
            int x = left + xAxis.pixels(xv, pw);
            g.setColor(new Color(235, 235, 235));
            g.drawLine(x, top, x, top + ph);
            g.setColor(Color.DARK_GRAY);
            g.drawString(xv < 1000 ? String.format(Locale.ROOT, "%.0f", xv) : String.format(Locale.ROOT, "%.0fk", xv / 1000), x - 10, top + ph + 18);
        }
        g.drawString("offered rate (requests/s, open loop" + (xAxis.log ? ", log scale)" : ")"), left + pw / 2 - 100, top + ph + 40);
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
                int x = left + xAxis.pixels(s.x[i], pw);
                int y = yPix(Math.max(Math.pow(10, yMinLog), s.y[i]), yMinLog, yMaxLog, top, ph);
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

    /** The rate axis: linear from 0 to {@code max}, or log from 10^min to 10^max. */
    private record XAxis(boolean log, double min, double max) {
        int pixels(double x, int width) {
            if (!log) {
                return (int) (width * x / max);
            }
            double l = Math.max(min, Math.min(max, Math.log10(Math.max(1, x))));
            return (int) (width * (l - min) / (max - min));
        }
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
