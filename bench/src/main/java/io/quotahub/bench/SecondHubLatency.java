package io.quotahub.bench;

import io.nats.client.JetStream;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * 4. Acquire cost of the second hub: SDK acquire p50/p99 (closed loop, one in flight) against a
 * single hub (no peer, own nats-server) and against hub-main of the pair, in interleaved rounds
 * with the raw NATS request-reply and JetStream publish+ack floors of both nats-servers; and
 * (unless {@code --latency-cut false}) against hub-main of the pair with the leafnode link cut, so
 * that nothing is replicated (edge's server and hub idle).
 */
final class SecondHubLatency implements TwoHubMeasurement {

    private static final String LARGE = TwoHubBench.LARGE;

    @Override
    public String name() {
        return "latency";
    }

    @Override
    public void run(BenchHubs pair, TwoHubOptions o, TwoHubReport out) throws Exception {
        int samples = o.samples;
        int warmup = o.warmup;
        int rounds = o.rounds;
        TwoHubBench.log("acquire latency: single hub vs pair, %d samples each in %d rounds after %d warm-up", samples, rounds, warmup);
        Histogram rrSingle = Stats.histogram();
        Histogram paSingle = Stats.histogram();
        Histogram rrPair = Stats.histogram();
        Histogram paPair = Stats.histogram();
        Histogram acSingle = Stats.histogram();
        Histogram acPair = Stats.histogram();
        Histogram acCut = Stats.histogram();
        boolean withCut = o.latencyCut;
        try (BenchHubs single = BenchHubs.single(o.mainJar(), Map.of("bench", LARGE));
             NatsFloors floorsSingle = new NatsFloors(single.serverUrl("main"));
             NatsFloors floorsPair = new NatsFloors(pair.serverUrl("main"));
             QuotaClient singleClient = TwoHubBench.agent(single, "main", "bench-latency-single");
             QuotaClient pairClient = TwoHubBench.agent(pair, "main", "bench-latency-pair")) {
            TwoHubBench.log("single hub ready (pid %d)", single.hub("main").pid());
            floorsSingle.requestReply(warmup, null);
            floorsSingle.publishAck(warmup, null);
            floorsPair.requestReply(warmup, null);
            floorsPair.publishAck(warmup, null);
            acquireLoop(singleClient, warmup, null, "main");
            acquireLoop(pairClient, warmup, null, "main");
            int perRound = Math.max(1, samples / rounds);
            for (int r = 1; r <= rounds; r++) {
                TwoHubBench.log("round %d/%d: %d of each", r, rounds, perRound);
                floorsSingle.requestReply(perRound, rrSingle);
                floorsSingle.publishAck(perRound, paSingle);
                acquireLoop(singleClient, perRound, acSingle, "main");
                floorsPair.requestReply(perRound, rrPair);
                floorsPair.publishAck(perRound, paPair);
                acquireLoop(pairClient, perRound, acPair, "main");
                if (withCut) {
                    // the same hub with nothing to replicate to: edge's server and hub idle
                    pair.nats().link().cut();
                    BenchHubs.await("hub-main sees PARTITIONED", Duration.ofSeconds(30),
                            () -> "PARTITIONED".equals(pair.peerStatus("main")), pair);
                    acquireLoop(pairClient, perRound, acCut, "main");
                    pair.nats().link().heal();
                    BenchHubs.await("both peers CONNECTED", Duration.ofSeconds(60), pair::bothConnected, pair);
                    BenchHubs.sleep(1000); // let edge's copy catch up before the next round
                }
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "closed loop, 1 in flight; acquire timed, then lease.complete(1) untimed");
        r.put("samples", samples);
        r.put("warmup", warmup);
        r.put("rounds", rounds);
        r.put("unit", "microseconds");
        r.put("singleNatsRequestReply", Stats.summary(rrSingle, 1000));
        r.put("singleJetStreamPublishAck", Stats.summary(paSingle, 1000));
        r.put("singleHubAcquire", Stats.summary(acSingle, 1000));
        r.put("pairMainNatsRequestReply", Stats.summary(rrPair, 1000));
        r.put("pairMainJetStreamPublishAck", Stats.summary(paPair, 1000));
        r.put("pairHubMainAcquire", Stats.summary(acPair, 1000));
        if (withCut) {
            r.put("pairHubMainAcquireLinkCut", Stats.summary(acCut, 1000));
        }
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (double p : new double[] {50, 99}) {
            String q = "p" + (int) p;
            ratios.put("pairOverSingle" + q.toUpperCase(), TwoHubReport.round3(Stats.us(acPair, p) / Stats.us(acSingle, p)));
            ratios.put("singleOverFloors" + q.toUpperCase(),
                    TwoHubReport.round3(Stats.us(acSingle, p) / (Stats.us(rrSingle, p) + Stats.us(paSingle, p))));
            ratios.put("pairOverFloors" + q.toUpperCase(), TwoHubReport.round3(Stats.us(acPair, p) / (Stats.us(rrPair, p) + Stats.us(paPair, p))));
            ratios.put("pairMinusSingle" + q.toUpperCase() + "Us", TwoHubReport.round3(Stats.us(acPair, p) - Stats.us(acSingle, p)));
            if (withCut) {
                ratios.put("pairLinkCutOverSingle" + q.toUpperCase(), TwoHubReport.round3(Stats.us(acCut, p) / Stats.us(acSingle, p)));
            }
        }
        r.put("ratios", ratios);
        out.results.put("acquireLatency", r);
        out.table.add("");
        out.table.add("4. acquire through the SDK, single hub vs the pair (µs, closed loop, one in flight)");
        out.table.add(String.format(Locale.ROOT, "%-44s %8s %9s %9s %9s %9s %9s", "", "n", "p50", "p90", "p99", "p99.9", "max"));
        out.table.add(TwoHubReport.usRow("(a) NATS request-reply, single's server", rrSingle));
        out.table.add(TwoHubReport.usRow("(b) JetStream publish+ack, single's server", paSingle));
        out.table.add(TwoHubReport.usRow("(a') NATS request-reply, pair's main server", rrPair));
        out.table.add(TwoHubReport.usRow("(b') JetStream publish+ack, pair's main", paPair));
        out.table.add(TwoHubReport.usRow("(c) acquire, single hub (no peer)", acSingle));
        out.table.add(TwoHubReport.usRow("(d) acquire, hub-main of the pair", acPair));
        if (withCut) {
            out.table.add(TwoHubReport.usRow("(e) acquire, hub-main of the pair, link cut", acCut));
        }
        out.table.add(String.format(Locale.ROOT, "   p50: (d)/(c) = %.2f x, (c)/((a)+(b)) = %.2f x, (d)/((a')+(b')) = %.2f x",
                ratios.get("pairOverSingleP50"), ratios.get("singleOverFloorsP50"), ratios.get("pairOverFloorsP50")));
        out.table.add(String.format(Locale.ROOT, "   p99: (d)/(c) = %.2f x, (c)/((a)+(b)) = %.2f x, (d)/((a')+(b')) = %.2f x",
                ratios.get("pairOverSingleP99"), ratios.get("singleOverFloorsP99"), ratios.get("pairOverFloorsP99")));
        if (withCut) {
            out.table.add(String.format(Locale.ROOT, "   (e)/(c): p50 %.2f x, p99 %.2f x", ratios.get("pairLinkCutOverSingleP50"),
                    ratios.get("pairLinkCutOverSingleP99")));
        }
    }

    private static void acquireLoop(QuotaClient client, int n, Histogram into, String expectedHub) {
        Duration maxWait = Duration.ofSeconds(5);
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            Lease lease = client.acquire("bench", 1, maxWait);
            long dt = System.nanoTime() - t0;
            if (!expectedHub.equals(lease.hubId())) {
                throw new IllegalStateException("lease from " + lease.hubId() + ", expected " + expectedHub);
            }
            lease.complete(1);
            Stats.record(into, dt);
        }
    }
}
