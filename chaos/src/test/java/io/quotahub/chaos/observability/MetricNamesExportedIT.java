package io.quotahub.chaos.observability;

import com.sun.net.httpserver.HttpServer;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.chaos.cluster.ProcessCluster;
import io.quotahub.testkit.HubProcess;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every metric named in the alert rules ({@code infra/prometheus/alerts.yml}) and in the Grafana
 * dashboard ({@code infra/grafana/quotahub.json}) must be exported by a running hub: both hub jars
 * run as processes (NATS, peer link, agents through the SDK, a takeover), their
 * {@code /prometheus} pages are scraped, and any name the rules or the dashboard use that neither
 * hub exported fails the test, listed with where it is used.
 *
 * <p>Names are compared exactly as Prometheus stores them: a rule using
 * {@code quotahub_acquire_latency_seconds_bucket} needs the timer published as a histogram, not
 * only its {@code _count} and {@code _sum}. Agent metrics ({@code quotahub_agent_*}) are not
 * scraped from a hub: the SDK pushes them to its machine's Pushgateway; here the agents push to a
 * stand-in Pushgateway that keeps what it receives, and those series are checked the same way.
 */
class MetricNamesExportedIT {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    private static final Path ALERTS = ROOT.resolve("infra/prometheus/alerts.yml");
    private static final Path DASHBOARD = ROOT.resolve("infra/grafana/quotahub.json");
    /** A metric name; not a label value such as {@code job="quotahub_agent"} (also JSON-escaped). */
    private static final Pattern METRIC = Pattern.compile("(?<![=~]\"|[=~]\\\\\")\\b(?:quotahub|jvm)_[a-z_]+");
    /** The Pushgateway job the SDK pushes under (PushgatewayMetrics.JOB). */
    private static final String AGENT_JOB = "quotahub_agent";

    private static final String POOLS = """
              pools:
                demo:
                  keys:
                    - id: k1
                      secret-env: QH_OBS_K1
                      limits:
                        - { requests: 6, per: 1m }
                    - id: k2
                      secret-env: QH_OBS_K2
                      limits:
                        - { requests: 6, per: 1m }
                watched:
                  fallback: [ demo ]
                  keys:
                    - id: w1
                      secret-env: QH_OBS_K3
                      limits:
                        - { requests: 60, per: 1m }
                        - { requests: 6, per: 1m, mode: shadow }
            """;

    private ProcessCluster cluster;
    private final List<QuotaClient> clients = new ArrayList<>();
    private HttpServer pushgateway;
    /** Request path and body of every push the stand-in Pushgateway received. */
    private final List<String[]> pushes = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(QuotaClient::close);
        if (cluster != null) {
            cluster.close();
        }
        if (pushgateway != null) {
            pushgateway.stop(0);
        }
    }

    /** A Pushgateway stand-in on a free port: answers 200 to every push and keeps it. */
    private String startPushgateway() throws IOException {
        pushgateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pushgateway.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            pushes.add(new String[] {exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath(), body});
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        pushgateway.start();
        return "127.0.0.1:" + pushgateway.getAddress().getPort();
    }

    @Test
    void everyMetricInTheAlertRulesAndTheDashboardIsExportedByTheHubs() throws Exception {
        Map<String, Set<String>> used = namesUsed();
        assertThat(used).as("metric names found in %s and %s", ALERTS, DASHBOARD)
                .containsKeys("quotahub_leases_settled_total", "quotahub_limit_utilization", "jvm_memory_used_bytes");

        cluster = ProcessCluster.start(ROOT, POOLS, List.of("QH_OBS_K1", "QH_OBS_K2", "QH_OBS_K3"), "");
        HubProcess main = cluster.hub("main");
        HubProcess edge = cluster.hub("edge");
        await("peers connected", Duration.ofSeconds(30),
                () -> peerStatus(main).equals("CONNECTED") && peerStatus(edge).equals("CONNECTED"));

        // leases through both hubs with every kind of outcome, then refusals once the keys are full;
        // the agents push their metrics to the stand-in Pushgateway
        String gateway = startPushgateway();
        QuotaClient onMain = agent("main", "obs-agent-main", gateway);
        QuotaClient onEdge = agent("edge", "obs-agent-edge", gateway);
        int granted = 0;
        int refused = 0;
        for (int i = 0; i < 16; i++) {
            QuotaClient client = i % 2 == 0 ? onMain : onEdge;
            Optional<Lease> lease = client.tryAcquire("demo", 1);
            if (lease.isEmpty()) {
                refused++;
                continue;
            }
            granted++;
            try (Lease l = lease.get()) {
                switch (i % 4) {
                    case 0, 1 -> l.complete(1);
                    case 2 -> l.failed("provider answered 500");
                    default -> l.rateLimited(Duration.ofSeconds(1));
                }
            } catch (RuntimeException settleFailed) {
                System.out.println("[metrics] settle failed (does not matter here): " + settleFailed);
            }
        }
        System.out.printf("[metrics] %d leases granted, %d refused%n", granted, refused);
        assertThat(granted).as("leases granted").isPositive();
        Thread.sleep(1500); // gauges, agent heartbeats, replication lag

        Map<String, Set<String>> exported = new TreeMap<>(); // name -> hubs exporting it
        Map<String, Map<String, Set<String>>> labels = new TreeMap<>(); // name -> label -> values
        scrape(main, "main", exported, labels);
        scrape(edge, "edge", exported, labels);

        // closing the agents pushes their metrics a last time
        clients.forEach(QuotaClient::close);
        clients.clear();
        assertThat(pushes).as("pushes the stand-in Pushgateway received").isNotEmpty();
        for (String[] push : pushes) {
            assertThat(push[0]).as("push request").matches("(POST|PUT) /metrics/job/" + AGENT_JOB + "/agent/obs-agent-(main|edge)");
            parse(push[1], "pushgateway", exported, labels);
        }
        System.out.printf("[metrics] %d pushes from the agents%n", pushes.size());

        // a takeover: counters and peer statuses that only exist once it happened
        edge.kill();
        await("main fenced the killed edge", Duration.ofSeconds(20), () -> peerStatus(main).equals("FENCED"));
        Thread.sleep(1000);
        scrape(main, "main after takeover", exported, labels);

        List<String> missing = new ArrayList<>();
        StringBuilder report = new StringBuilder("[metrics] names used by the rules/dashboard:\n");
        for (Map.Entry<String, Set<String>> e : used.entrySet()) {
            String name = e.getKey();
            String status;
            if (exported.containsKey(name)) {
                status = "exported by " + exported.get(name);
            } else {
                status = "MISSING";
                missing.add(name + "  (used in " + String.join(", ", e.getValue()) + ")");
            }
            report.append(String.format("  %-50s %s%n", name, status));
        }
        System.out.print(report);

        List<String> badLabels = checkLabels(labels);
        badLabels.forEach(bad -> System.out.println("[metrics] label problem: " + bad));

        assertThat(missing)
                .as("metric names used in alerts.yml or quotahub.json that no running hub exports:%n  %s%n"
                        + "names the hubs export: %s", String.join("\n  ", missing), exported.keySet())
                .isEmpty();
        assertThat(badLabels)
                .as("label names/values used in alerts.yml or quotahub.json that the hubs do not export:%n  %s",
                        String.join("\n  ", badLabels))
                .isEmpty();
    }

    /**
     * Labels Prometheus adds at scrape time (prometheus.yml), the Pushgateway's grouping key
     * ({@code agent}), and {@code le}, which histogram_quantile needs.
     */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance", "machine", "agent", "le");
    private static final Pattern SELECTOR = Pattern.compile("\\b((?:quotahub|jvm)_[a-z_]+)\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("(\\w+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");

    /**
     * Every expression's label matchers and grouping labels against what the hubs export: a
     * matcher on a label the metric does not have, a literal value (or each of {@code A|B}) the
     * label never takes, or a {@code by (...)} label none of the expression's metrics has selects
     * nothing or groups everything into one series. Grafana variables and the labels Prometheus
     * adds ({@link #TARGET_LABELS}) are not checked.
     */
    private static List<String> checkLabels(Map<String, Map<String, Set<String>>> labels) throws IOException {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : expressions().entrySet()) {
            String where = e.getKey();
            String expr = e.getValue();
            Set<String> metrics = new TreeSet<>();
            Matcher names = METRIC.matcher(expr);
            while (names.find()) {
                metrics.add(names.group());
            }
            Matcher sel = SELECTOR.matcher(expr);
            while (sel.find()) {
                String metric = sel.group(1);
                if (!labels.containsKey(metric)) {
                    continue; // a missing name (reported above)
                }
                Matcher m = MATCHER.matcher(sel.group(2));
                while (m.find()) {
                    String label = m.group(1);
                    String op = m.group(2);
                    String value = m.group(3);
                    if (TARGET_LABELS.contains(label) || value.contains("$")) {
                        continue;
                    }
                    Set<String> values = labels.get(metric).get(label);
                    if (values == null) {
                        problems.add(where + ": " + metric + " has no label " + label + " (it has " + labels.get(metric).keySet() + ")");
                    } else if ((op.equals("=") || op.equals("=~")) && value.matches("[A-Za-z0-9_|]+")) {
                        for (String literal : value.split("\\|")) {
                            if (!values.contains(literal)) {
                                problems.add(where + ": " + metric + "{" + label + "} never takes the value " + literal + " (seen " + values + ")");
                            }
                        }
                    }
                }
            }
            if (metrics.isEmpty()) {
                continue;
            }
            Matcher g = GROUPING.matcher(expr);
            while (g.find()) {
                for (String label : g.group(1).split(",")) {
                    String l = label.trim();
                    if (l.isEmpty() || TARGET_LABELS.contains(l)) {
                        continue;
                    }
                    boolean somewhere = metrics.stream().anyMatch(metric -> labels.getOrDefault(metric, Map.of()).containsKey(l));
                    if (!somewhere) {
                        problems.add(where + ": groups by " + l + ", a label none of " + metrics + " has");
                    }
                }
            }
        }
        return problems;
    }

    /** Every PromQL expression of the rules and the dashboard (targets, annotations, variables), by where it is. */
    @SuppressWarnings("unchecked")
    static Map<String, String> expressions() throws IOException {
        Map<String, String> exprs = new TreeMap<>();
        try (InputStream in = Files.newInputStream(ALERTS)) {
            Map<String, Object> doc = new Yaml().load(in);
            for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
                for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                    exprs.put("alerts.yml " + rule.getOrDefault("alert", rule.get("record")), String.valueOf(rule.get("expr")));
                }
            }
        }
        // the dashboard is JSON, which is YAML: snakeyaml reads it too
        try (InputStream in = Files.newInputStream(DASHBOARD)) {
            Map<String, Object> dash = new Yaml().load(in);
            for (Map<String, Object> panel : (List<Map<String, Object>>) dash.get("panels")) {
                List<Map<String, Object>> targets = (List<Map<String, Object>>) panel.getOrDefault("targets", List.of());
                for (Map<String, Object> t : targets) {
                    exprs.put("quotahub.json panel '" + panel.get("title") + "' " + t.get("refId"), String.valueOf(t.get("expr")));
                }
            }
            Map<String, Object> annotations = (Map<String, Object>) dash.get("annotations");
            for (Map<String, Object> a : (List<Map<String, Object>>) annotations.get("list")) {
                if (a.containsKey("expr")) {
                    exprs.put("quotahub.json annotation '" + a.get("name") + "'", String.valueOf(a.get("expr")));
                }
            }
            Map<String, Object> templating = (Map<String, Object>) dash.get("templating");
            for (Map<String, Object> v : (List<Map<String, Object>>) templating.get("list")) {
                if ("query".equals(v.get("type"))) {
                    exprs.put("quotahub.json variable " + v.get("name"), String.valueOf(v.get("definition")));
                }
            }
        }
        return exprs;
    }

    /** Metric name -> files using it, from the rules' expressions and the whole dashboard JSON. */
    @SuppressWarnings("unchecked")
    static Map<String, Set<String>> namesUsed() throws IOException {
        Map<String, Set<String>> used = new TreeMap<>();
        try (InputStream in = Files.newInputStream(ALERTS)) {
            Map<String, Object> doc = new Yaml().load(in);
            for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
                for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                    String where = "alerts.yml " + rule.getOrDefault("alert", rule.get("record"));
                    collect(String.valueOf(rule.get("expr")), where, used);
                }
            }
        }
        collect(Files.readString(DASHBOARD), "quotahub.json", used);
        return used;
    }

    private static void collect(String text, String where, Map<String, Set<String>> used) {
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            used.computeIfAbsent(m.group(), k -> new TreeSet<>()).add(where);
        }
    }

    /**
     * Adds every sample name of the hub's /prometheus page (histogram series by their full names)
     * with its label names and values; keeps the page under target/observability/ to read.
     */
    private static void scrape(HubProcess hub, String label, Map<String, Set<String>> exported,
                               Map<String, Map<String, Set<String>>> labels) throws IOException {
        HttpResponse<String> page = hub.get("/prometheus");
        assertThat(page.statusCode()).as("GET /prometheus of %s", label).isEqualTo(200);
        Path dir = Files.createDirectories(Path.of("target", "observability"));
        Files.writeString(dir.resolve("prometheus-" + label.replace(' ', '-') + ".txt"), page.body());
        int lines = parse(page.body(), label, exported, labels);
        System.out.printf("[metrics] scraped %s: %d samples (target/observability/)%n", label, lines);
    }

    /** Adds the samples of a Prometheus text page; returns how many. */
    private static int parse(String text, String label, Map<String, Set<String>> exported,
                             Map<String, Map<String, Set<String>>> labels) {
        Pattern sample = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{([^}]*)})?\\s");
        Pattern pair = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");
        int lines = 0;
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = sample.matcher(line);
            if (m.find()) {
                String name = m.group(1);
                exported.computeIfAbsent(name, k -> new TreeSet<>()).add(label);
                Map<String, Set<String>> byLabel = labels.computeIfAbsent(name, k -> new TreeMap<>());
                if (m.group(2) != null) {
                    Matcher p = pair.matcher(m.group(2));
                    while (p.find()) {
                        byLabel.computeIfAbsent(p.group(1), k -> new TreeSet<>()).add(p.group(2));
                    }
                }
                lines++;
            }
        }
        return lines;
    }

    private QuotaClient agent(String site, String id, String pushgatewayAddress) {
        QuotaClient client = cluster.agentClient(site).agentId(id)
                .pushGateway(pushgatewayAddress).pushInterval(Duration.ofMillis(500)).build();
        clients.add(client);
        return client;
    }

    private static String peerStatus(HubProcess hub) {
        Matcher m = Pattern.compile("\"peer\":\\{\"hubId\":\"\\w+\",\"status\":\"(\\w+)\"").matcher(hub.get("/api/v1/state").body());
        return m.find() ? m.group(1) : "NONE";
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        try {
            Awaitility.await(what).atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                    .until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("timed out after " + within + " waiting for: " + what, e);
        }
    }
}
