package io.quotahub.bench;

import io.quotahub.testkit.NatsServer;
import org.HdrHistogram.Histogram;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Open-loop throughput of durable acquires through the SDK to a real hub-main, beside the raw NATS
 * floors of the same nats-server in the same run.
 *
 * <p>For each offered rate (default 1k, 2k, 5k, 10k, 20k, 30k acquires/s): {@code --warm} seconds
 * unrecorded then {@code --seconds} recorded, {@code acquireAsync} round-robin over {@code --clients}
 * SDK clients from one generator thread on a fixed timeline ({@link OpenLoop}: latency from the
 * intended send time, so a stall or a late send is counted), each lease settled
 * ({@code completeAsync(1)}). Before each hub phase, the same rate of raw core-NATS request-replies to an echo
 * responder and of raw durable requests (a responder that publishes each request to JetStream and
 * answers on the ack: the two floors of an acquire in series) — the open-loop floors.
 * {@code --driver wire} drives the open-loop phases with {@link WireClients} (the hub's protocol
 * without the SDK) instead; saturation runs both. Also measured: closed-loop request-reply and JetStream
 * publish+ack p50, raw async JetStream publish throughput; CPU of the generator JVM, the hub and
 * nats-server during each phase; ledger messages per phase (events per message = group commit).
 * Prints tables, writes {@code <out>/throughput-<date>.json} and the PNG plot {@code --png}.
 *
 * <pre>
 * java -cp bench/target/bench.jar io.quotahub.bench.Throughput [--rates 1000,2000,5000,10000,20000,30000]
 *      [--seconds 10] [--warm 2] [--clients 4] [--driver sdk|wire] [--settle async|pool] [--settle-threads 64] [--max-in-flight 20000] [--grace 5]
 *      [--floor-open true] [--saturate 32,256] [--warmup-rate 5000] [--hub-jar hub-main/target/hub-main.jar] [--out bench/results]
 *      [--png docs/latency-vs-rate.png] [--tag run1]
 * </pre>
 */
public final class Throughput {

    static final double TARGET_P99_MS = 5.0;

    public static void main(String[] args) throws Exception {
        Map<String, String> o = BenchCli.parse("Throughput", args, "rates=1000,2000,5000,10000,20000,30000", "seconds=10",
                "warm=2", "clients=4", "driver=sdk", "settle=async", "settle-threads=64", "max-in-flight=20000", "grace=5",
                "floor-open=true", "saturate=32,256", "warmup-rate=5000", "jvm", "hub-jar=hub-main/target/hub-main.jar",
                "out=bench/results", "png=docs/latency-vs-rate.png", "tag");
        new Throughput().run(o);
        System.exit(0);
    }

    static double[] rates(Map<String, String> o) {
        return Arrays.stream(o.getOrDefault("rates", "1000,2000,5000,10000,20000,30000").split(","))
                .mapToDouble(Double::parseDouble).toArray();
    }

    static List<String> jvm(Map<String, String> o) {
        String j = o.get("jvm");
        return j == null ? HubLaunch.PROD_JVM : List.of(j.trim().split("\\s+"));
    }

    /** Closed-loop floors, p50/p99 in µs, and async publish throughput. */
    record Floors(Histogram rr, Histogram pa, double asyncPublishPerSec) {
        Map<String, Object> tree() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("requestReplyUs", Stats.summary(rr, 1000));
            m.put("publishAckUs", Stats.summary(pa, 1000));
            m.put("asyncPublishPerSec", Math.round(asyncPublishPerSec));
            return m;
        }
    }

    static Floors floors(NatsFloors f, int samples) throws Exception {
        f.requestReply(2000, null);
        f.publishAck(2000, null);
        Histogram rr = Stats.histogram();
        Histogram pa = Stats.histogram();
        for (int r = 0; r < 2; r++) {
            f.requestReply(samples / 2, rr);
            f.publishAck(samples / 2, pa);
        }
        f.publishAsyncThroughput(20_000, 1000); // warm
        double best = 0;
        for (int r = 0; r < 3; r++) {
            best = Math.max(best, f.publishAsyncThroughput(100_000, 1000));
        }
        return new Floors(rr, pa, best);
    }

    private void run(Map<String, String> o) throws Exception {
        Path hubJar = Path.of(o.getOrDefault("hub-jar", "hub-main/target/hub-main.jar"));
        Path out = Path.of(o.getOrDefault("out", "bench/results"));
        Path png = Path.of(o.getOrDefault("png", "docs/latency-vs-rate.png"));
        String tag = o.getOrDefault("tag", "");
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "10"));
        double warm = Double.parseDouble(o.getOrDefault("warm", "2"));
        int clients = Integer.parseInt(o.getOrDefault("clients", "4"));
        int settleThreads = Integer.parseInt(o.getOrDefault("settle-threads", "64"));
        int maxInFlight = Integer.parseInt(o.getOrDefault("max-in-flight", "20000"));
        double grace = Double.parseDouble(o.getOrDefault("grace", "5"));
        boolean floorOpen = Boolean.parseBoolean(o.getOrDefault("floor-open", "true"));
        double warmupRate = Double.parseDouble(o.getOrDefault("warmup-rate", "5000"));
        double[] rates = rates(o);
        boolean wireDriver = "wire".equals(o.getOrDefault("driver", "sdk"));
        if (!wireDriver && !"sdk".equals(o.getOrDefault("driver", "sdk"))) {
            throw new IllegalArgumentException("--driver is sdk or wire, was " + o.get("driver"));
        }

        String loadBefore = Stats.loadAverage();
        List<String> lines = new ArrayList<>();
        List<OpenLoop.Phase> hubPhases = new ArrayList<>();
        List<OpenLoop.Phase> floorPhases = new ArrayList<>();
        List<OpenLoop.Phase> durableFloorPhases = new ArrayList<>();
        List<Map<String, Object>> phaseJson = new ArrayList<>();
        List<Map<String, Object>> saturation = new ArrayList<>();
        Floors floors;
        try (NatsServer nats = NatsServer.start();
             NatsFloors f = new NatsFloors(nats.url());
             HubTarget target = new HubTarget(hubJar, jvm(o), nats, clients, settleThreads, Duration.ofSeconds(5));
             WireClients wire = new WireClients(nats.url(), clients)) {
            System.out.printf("nats-server %s (pid %d); hub pid %d ready in %.2f s; load %s%n", nats.url(), nats.pid(),
                    target.hub.pid(), target.hub.startSeconds(), loadBefore);
            target.asyncSettle = !"pool".equals(o.getOrDefault("settle", "async"));
            System.out.println("settle: " + HubTarget.settleMode(target.asyncSettle));
            Map<String, Long> pids = new LinkedHashMap<>();
            pids.put("hub", target.hub.pid());
            pids.put("nats-server", nats.pid());
            // warm-up of the hub and the SDK (JIT), unrecorded: at a low rate C2 was still compiling
            // during the first phase, which then showed 2-3 x the CPU per acquire of later phases
            OpenLoop.run(target::send, warmupRate, 0, 8, maxInFlight, grace, pids);
            target.awaitSettles(Duration.ofSeconds(10));
            // the hub's first snapshot folds the whole warm-up: let it finish before anything is measured
            // (otherwise it lands in the first measured phase)
            for (int waited = 0; target.hub.snapshotsWritten() == 0 && waited < 60_000; waited += 200) {
                BenchHubs.sleep(200);
            }
            floors = floors(f, 10_000);
            System.out.printf(Locale.ROOT, "floors: request-reply p50 %.0f µs, publish+ack p50 %.0f µs, async publish %.0f msg/s%n",
                    Stats.us(floors.rr, 50), Stats.us(floors.pa, 50), floors.asyncPublishPerSec);
            lines.add(OpenLoop.header("open loop (ms)"));
            for (double rate : rates) {
                String load = Stats.loadAverage();
                OpenLoop.Phase fp = null;
                OpenLoop.Phase dp = null;
                if (floorOpen) {
                    fp = OpenLoop.run(i -> f.requestAsync(), rate, warm, seconds, maxInFlight, grace, pids);
                    floorPhases.add(fp);
                    lines.add(OpenLoop.row("raw NATS request-reply", fp));
                    System.out.println(lines.get(lines.size() - 1));
                    dp = OpenLoop.run(i -> f.durableRequestAsync(), rate, warm, seconds, maxInFlight, grace, pids);
                    durableFloorPhases.add(dp);
                    lines.add(OpenLoop.row("raw request + publish-ack", dp));
                    System.out.println(lines.get(lines.size() - 1));
                }
                long[] ledgerBefore = target.ledger();
                int snapshotsBefore = target.hub.snapshotsWritten();
                long settledBefore = wireDriver ? wire.settled.get() : target.settled.get();
                OpenLoop.Phase hp = OpenLoop.run(wireDriver ? wire::send : target::send, rate, warm, seconds, maxInFlight, grace, pids);
                target.awaitSettles(Duration.ofSeconds(30));
                wire.awaitSettles(Duration.ofSeconds(30));
                long[] ledgerAfter = target.ledger();
                int snapshots = target.hub.snapshotsWritten() - snapshotsBefore;
                long settles = (wireDriver ? wire.settled.get() : target.settled.get()) - settledBefore;
                hubPhases.add(hp);
                long msgs = ledgerAfter[0] - ledgerBefore[0];
                double eventsPerMsg = msgs <= 0 ? 0 : (hp.ok() + settles) / (double) msgs;
                double hubCpuUs = hp.coresByProcess().getOrDefault("hub", 0.0) * 1e6 / Math.max(1, hp.achievedPerSec());
                double natsCpuUs = hp.coresByProcess().getOrDefault("nats-server", 0.0) * 1e6 / Math.max(1, hp.achievedPerSec());
                double genCpuUs = hp.coresByProcess().getOrDefault("generator", 0.0) * 1e6 / Math.max(1, hp.achievedPerSec());
                lines.add(OpenLoop.row(wireDriver ? "wire acquire via hub (durable)" : "SDK acquire via hub (durable)", hp));
                System.out.println(lines.get(lines.size() - 1));
                String extra = String.format(Locale.ROOT,
                        "    ledger: %d messages, %.1f events/message; CPU per acquire+settle: hub %.0f µs, nats-server %.0f µs, generator %.0f µs; "
                                + "hub snapshots written meanwhile: %d;%s load %s",
                        msgs, eventsPerMsg, hubCpuUs, natsCpuUs, genCpuUs, snapshots,
                        wireDriver ? " not granted " + wire.takeNotGranted() + ";" : "", load);
                lines.add(extra);
                System.out.println(extra);
                Map<String, Object> phase = new LinkedHashMap<>();
                phase.put("loadAverage", load);
                phase.put("rawRequestReply", fp == null ? null : fp.tree());
                phase.put("rawDurableRequest", dp == null ? null : dp.tree());
                phase.put("hubAcquire", hp.tree());
                phase.put("settles", settles);
                phase.put("settleFailed", (wireDriver ? wire.settleFailed : target.settleFailed).get());
                phase.put("snapshotsWritten", snapshots);
                phase.put("ledgerMessages", msgs);
                phase.put("ledgerBytes", ledgerAfter[1] - ledgerBefore[1]);
                phase.put("eventsPerLedgerMessage", eventsPerMsg);
                phase.put("cpuUsPerAcquire", Map.of("hub", hubCpuUs, "natsServer", natsCpuUs, "generator", genCpuUs));
                phaseJson.add(phase);
            }
            long rss = HubLaunch.rssKiB(target.hub.pid());
            lines.add("hub RSS after the sweep: " + rss / 1024 + " MiB");
            // capacity: closed loop with N requests always outstanding (no timeline: only the rate counts)
            for (String n : o.getOrDefault("saturate", "32,256").split(",")) {
                if (n.isBlank()) {
                    continue;
                }
                int inFlight = Integer.parseInt(n.trim());
                BenchHubs.sleep(5000); // let the hub drain what an overloaded rate left behind
                String load = Stats.loadAverage();
                OpenLoop.Phase fs = OpenLoop.run(i -> f.requestAsync(), 1e6, 0, seconds, inFlight, 0, pids);
                OpenLoop.Phase js = OpenLoop.run(i -> f.publishAsync(), 1e6, 0, seconds, inFlight, 0, pids);
                long[] lb = target.ledger();
                OpenLoop.Phase hs = OpenLoop.run(target::send, 1e6, 0, seconds, inFlight, 0, pids);
                target.awaitSettles(Duration.ofSeconds(30));
                long[] la = target.ledger();
                double perMsg = la[0] - lb[0] <= 0 ? 0 : 2.0 * hs.ok() / (la[0] - lb[0]);
                long wireSettledBefore = wire.settled.get();
                OpenLoop.Phase ws = OpenLoop.run(wire::send, 1e6, 0, seconds, inFlight, 0, pids);
                wire.awaitSettles(Duration.ofSeconds(30));
                long[] lw = target.ledger();
                double wirePerMsg = lw[0] - la[0] <= 0 ? 0 : 2.0 * ws.ok() / (lw[0] - la[0]);
                long wireSettled = wire.settled.get() - wireSettledBefore;
                String line = String.format(Locale.ROOT, "saturation, %d in flight (load %s):%n"
                                + "    raw NATS request-reply     %7.0f/s  CPU µs per op: %s%n"
                                + "    raw JetStream publish+ack  %7.0f/s  CPU µs per op: %s%n"
                                + "    hub acquire+settle         %7.0f/s  CPU µs per op: %s; %d failed; %.1f events/ledger message%n"
                                + "    hub acquire+settle (wire)  %7.0f/s  CPU µs per op: %s; %d failed %s, %d settled; %.1f events/ledger message",
                        inFlight, load, rate(fs, seconds), perOp(fs, seconds), rate(js, seconds), perOp(js, seconds),
                        rate(hs, seconds), perOp(hs, seconds), hs.failed(), perMsg,
                        rate(ws, seconds), perOp(ws, seconds), ws.failed(), wire.takeNotGranted(), wireSettled, wirePerMsg);
                lines.add(line);
                System.out.println(line);
                Map<String, Object> sat = new LinkedHashMap<>();
                sat.put("inFlight", inFlight);
                sat.put("loadAverage", load);
                sat.put("rawRequestReplyPerSec", Math.round(rate(fs, seconds)));
                sat.put("rawJetStreamPublishPerSec", Math.round(rate(js, seconds)));
                sat.put("hubAcquirePerSec", Math.round(rate(hs, seconds)));
                sat.put("hubFailed", hs.failed());
                sat.put("eventsPerLedgerMessage", perMsg);
                sat.put("rawCores", cores(fs));
                sat.put("rawPublishCores", cores(js));
                sat.put("hubCores", cores(hs));
                sat.put("wireHubAcquirePerSec", Math.round(rate(ws, seconds)));
                sat.put("wireFailed", ws.failed());
                sat.put("wireSettled", wireSettled);
                sat.put("wireEventsPerLedgerMessage", wirePerMsg);
                sat.put("wireHubCores", cores(ws));
                saturation.add(sat);
            }
        }
        String loadAfter = Stats.loadAverage();

        // summary
        double best = 0;
        for (OpenLoop.Phase p : hubPhases) {
            if (p.sustained(TARGET_P99_MS)) {
                best = Math.max(best, p.offeredPerSec());
            }
        }
        double maxAchieved = hubPhases.stream().mapToDouble(OpenLoop.Phase::achievedPerSec).max().orElse(0);
        double floorMaxAchieved = floorPhases.stream().mapToDouble(OpenLoop.Phase::achievedPerSec).max().orElse(0);
        double durableFloorBest = 0;
        for (OpenLoop.Phase p : durableFloorPhases) {
            if (p.sustained(TARGET_P99_MS)) {
                durableFloorBest = Math.max(durableFloorBest, p.offeredPerSec());
            }
        }
        double rr50 = Stats.us(floors.rr, 50);
        double pa50 = Stats.us(floors.pa, 50);
        System.out.println();
        lines.forEach(System.out::println);
        System.out.println();
        List<String> summary = new ArrayList<>();
        summary.add(String.format(Locale.ROOT, "closed-loop floors: request-reply p50 %.0f µs, p99 %.0f µs; publish+ack p50 %.0f µs, p99 %.0f µs; "
                + "async JetStream publish %.0f msg/s", rr50, Stats.us(floors.rr, 99), pa50, Stats.us(floors.pa, 99), floors.asyncPublishPerSec));
        summary.add(String.format(Locale.ROOT, "highest offered rate sustained with p99 < %.0f ms: %.0f acquires/s; highest acknowledged rate: %.0f acquires/s "
                + "(%.2f x the async publish floor); raw request-reply open loop max %.0f/s", TARGET_P99_MS, best, maxAchieved,
                maxAchieved / floors.asyncPublishPerSec, floorMaxAchieved));
        summary.add(String.format(Locale.ROOT, "floor: raw request + publish-ack (no hub) sustained with p99 < %.0f ms up to %.0f/s of the rates offered",
                TARGET_P99_MS, durableFloorBest));
        for (int i = 0; i < hubPhases.size(); i++) {
            OpenLoop.Phase hp = hubPhases.get(i);
            double p50 = Stats.us(hp.latency(), 50);
            summary.add(String.format(Locale.ROOT, "  %6.0f/s: acquire p50 %.0f µs = %.2f x (rr+pa) p50%s", hp.offeredPerSec(), p50,
                    p50 / (rr50 + pa50), floorPhases.size() > i ? String.format(Locale.ROOT, ", p50 %.2f x and p99 %.2f x the open-loop request-reply at this rate",
                            p50 / Stats.us(floorPhases.get(i).latency(), 50),
                            Stats.us(hp.latency(), 99) / Stats.us(floorPhases.get(i).latency(), 99)) : "")
                    + (durableFloorPhases.size() > i ? String.format(Locale.ROOT, "; p50 %.2f x and p99 %.2f x the raw request + publish-ack",
                            p50 / Stats.us(durableFloorPhases.get(i).latency(), 50),
                            Stats.us(hp.latency(), 99) / Stats.us(durableFloorPhases.get(i).latency(), 99)) : ""));
        }
        summary.add("load average before " + loadBefore + ", after " + loadAfter);
        summary.forEach(System.out::println);

        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("driver", wireDriver ? "wire" : "sdk");
        settings.put("rates", Arrays.toString(rates));
        settings.put("warmSeconds", warm);
        settings.put("seconds", seconds);
        settings.put("clients", clients);
        settings.put("settle", HubTarget.settleMode(!"pool".equals(o.getOrDefault("settle", "async"))));
        settings.put("settleThreads", settleThreads);
        settings.put("maxInFlight", maxInFlight);
        settings.put("graceSeconds", grace);
        settings.put("hubJvm", String.join(" ", jvm(o)));
        settings.put("pool", "1 key, requests 1e9/1m, preset PREMIUM");
        settings.put("op", "acquireAsync(bench, 1, 5s) then completeAsync(1)");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "throughput");
        json.put("time", Instant.now().toString());
        json.put("machine", Stats.machine(loadBefore, loadAfter));
        json.put("settings", settings);
        json.put("floors", floors.tree());
        json.put("phases", phaseJson);
        json.put("saturation", saturation);
        Map<String, Object> sum = new LinkedHashMap<>();
        sum.put("highestSustainedP99Under5ms", Math.round(best));
        sum.put("highestAchievedPerSec", maxAchieved);
        sum.put("highestAchievedOverAsyncPublishFloor", maxAchieved / floors.asyncPublishPerSec);
        json.put("summary", sum);
        Files.createDirectories(out);
        Path file = out.resolve("throughput-" + LocalDate.now() + (tag.isEmpty() ? "" : "-" + tag) + ".json");
        Files.writeString(file, BenchJson.pretty(json));
        Path txt = out.resolve("throughput-" + LocalDate.now() + (tag.isEmpty() ? "" : "-" + tag) + ".txt");
        List<String> all = new ArrayList<>(lines);
        all.add("");
        all.addAll(summary);
        Files.write(txt, all);
        System.out.println("wrote " + file + " and " + txt);

        List<LatencyPlot.Series> series = new ArrayList<>();
        series.add(series("hub acquire p50", new Color(0, 90, 200), false, hubPhases, 50));
        series.add(series("hub acquire p99", new Color(0, 90, 200), true, hubPhases, 99));
        series.add(series("hub acquire p99.9", new Color(120, 170, 240), true, hubPhases, 99.9));
        if (!floorPhases.isEmpty()) {
            series.add(series("raw NATS req-reply p50", new Color(90, 90, 90), false, floorPhases, 50));
            series.add(series("raw NATS req-reply p99", new Color(90, 90, 90), true, floorPhases, 99));
            series.add(series("raw req + publish-ack p50", new Color(200, 110, 0), false, durableFloorPhases, 50));
            series.add(series("raw req + publish-ack p99", new Color(200, 110, 0), true, durableFloorPhases, 99));
        }
        LatencyPlot.write(png, "QuotaHub: durable acquire latency vs offered rate (open loop, from intended send time)",
                "1 hub + nats-server + load generator on one shared 2-core VM; load " + loadBefore + " -> " + loadAfter, series);
        System.out.println("wrote " + png);
    }

    private static double rate(OpenLoop.Phase p, double seconds) {
        return p.ok() / Math.max(seconds, p.wallSeconds());
    }

    /** CPU µs per acknowledged operation of each measured process. */
    private static String perOp(OpenLoop.Phase p, double seconds) {
        double rate = Math.max(1, rate(p, seconds));
        StringBuilder sb = new StringBuilder();
        p.coresByProcess().forEach((k, v) -> sb.append(sb.length() > 0 ? ", " : "")
                .append(String.format(Locale.ROOT, "%s %.0f", k, v * 1e6 / rate)));
        return sb.toString();
    }

    private static String cores(OpenLoop.Phase p) {
        StringBuilder sb = new StringBuilder();
        p.coresByProcess().forEach((k, v) -> sb.append(sb.length() > 0 ? ", " : "").append(String.format(Locale.ROOT, "%s %.2f cores", k, v)));
        return sb.toString();
    }

    static LatencyPlot.Series series(String name, Color c, boolean dashed, List<OpenLoop.Phase> phases, double pct) {
        double[] x = new double[phases.size()];
        double[] y = new double[phases.size()];
        boolean[] kept = new boolean[phases.size()];
        for (int i = 0; i < phases.size(); i++) {
            x[i] = phases.get(i).offeredPerSec();
            y[i] = Stats.ms(phases.get(i).latency(), pct);
            kept[i] = phases.get(i).keptUp();
        }
        return new LatencyPlot.Series(name, c, dashed, x, y, kept);
    }
}
