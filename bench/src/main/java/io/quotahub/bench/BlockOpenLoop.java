package io.quotahub.bench;

import io.quotahub.testkit.NatsServer;
import org.HdrHistogram.Histogram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Open-loop acquires with blocks on (docs/benchmarks.md, section 8): one SDK client of a real
 * hub-main ({@link BlockTarget}). Latency from the intended send time ({@link OpenLoop}); also the share of
 * calls served in-process and the hub's grants (blocks) per second.
 *
 * <pre>
 * java -cp bench/target/bench.jar io.quotahub.bench.BlockOpenLoop [--rates 1000,10000,100000] [--seconds 10]
 *      [--warm 2] [--max-calls 1000] [--hub-jar hub-main/target/hub-main.jar] [--out bench/results]
 * </pre>
 */
public final class BlockOpenLoop {

    private BlockOpenLoop() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = BenchCli.parse("BlockOpenLoop", args, "rates=1000,10000,100000", "seconds=10", "warm=2",
                "max-calls=1000", "hub-jar=hub-main/target/hub-main.jar", "out=bench/results");
        double[] rates = Arrays.stream(o.getOrDefault("rates", "1000,10000,100000").split(","))
                .mapToDouble(Double::parseDouble).toArray();
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "10"));
        double warm = Double.parseDouble(o.getOrDefault("warm", "2"));
        int maxCalls = Integer.parseInt(o.getOrDefault("max-calls", "1000"));
        Path out = Path.of(o.getOrDefault("out", "bench/results"));
        String loadBefore = Stats.loadAverage();
        List<Map<String, Object>> phases = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        try (NatsServer nats = NatsServer.start();
             BlockTarget target = new BlockTarget(Path.of(o.getOrDefault("hub-jar", "hub-main/target/hub-main.jar")), nats, maxCalls)) {
            Map<String, Long> pids = target.pids(nats);
            OpenLoop.run(target::send, 5_000, 0, 4, 20_000, 5, pids); // warm-up (JIT), unrecorded
            System.out.printf("hub ready; load %s%n", loadBefore);
            lines.add("| offered/s | achieved/s | p50 µs | p99 µs | p99.9 µs | max ms | in-process | blocks granted/s | hub cores | generator cores | generator floor p50 / p99 µs |");
            lines.add("|---|---|---|---|---|---|---|---|---|---|---|");
            for (double rate : rates) {
                // the generator's own floor at this rate: a send that does nothing (its wake-up lateness)
                OpenLoop.Phase floor = OpenLoop.run(BlockTarget::nothing, rate, warm, seconds, 20_000, 5, pids);
                target.reset();
                OpenLoop.Phase p = OpenLoop.run(target::send, rate, warm, seconds, 20_000, 5, pids);
                Histogram h = p.latency();
                double inProcess = target.servedInProcess();
                double blocksPerSec = target.blocksSeenPerSec(warm + seconds);
                String line = String.format(java.util.Locale.ROOT, "| %,d | %,.0f | %.1f | %.1f | %.1f | %.2f | %.2f %% | %.1f | %.2f | %.2f | %.1f / %.1f |",
                        Math.round(rate), p.achievedPerSec(), Stats.us(h, 50), Stats.us(h, 99), Stats.us(h, 99.9),
                        h.getMaxValue() / 1e6, 100 * inProcess, blocksPerSec,
                        p.coresByProcess().getOrDefault("hub", 0.0), p.coresByProcess().getOrDefault("generator", 0.0),
                        Stats.us(floor.latency(), 50), Stats.us(floor.latency(), 99));
                lines.add(line);
                System.out.println(line);
                Map<String, Object> m = new LinkedHashMap<>(p.tree());
                m.put("servedInProcess", inProcess);
                m.put("blocksSeenPerSec", blocksPerSec);
                m.put("generatorFloor", floor.tree());
                phases.add(m);
            }
        }
        String loadAfter = Stats.loadAverage();
        System.out.println();
        lines.forEach(System.out::println);
        System.out.println("load before " + loadBefore + ", after " + loadAfter);
        Files.createDirectories(out);
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("benchmark", "BlockOpenLoop");
        tree.put("date", LocalDate.now().toString());
        tree.put("maxCalls", maxCalls);
        tree.put("machine", Stats.machine(loadBefore, loadAfter));
        tree.put("phases", phases);
        Path file = out.resolve("block-open-loop-" + LocalDate.now() + ".json");
        Files.writeString(file, BenchJson.pretty(tree));
        System.out.println("wrote " + file);
        System.exit(0);
    }
}
