package io.quotahub.chaos.observability;

import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpServer;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.chaos.cluster.ProcessCluster;
import io.quotahub.hub.metrics.MetricNames;
import io.quotahub.testkit.FreePorts;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The monitoring stack of the two-machine install, for real: both hub jars as processes (NATS,
 * production users, HTTP tokens), a Pushgateway per machine, Alertmanager, and Prometheus loading
 * {@code infra/prometheus/prometheus.yml} and {@code alerts.yml} — copies rewritten only where a
 * test must differ: the targets (free ports on 127.0.0.1 instead of mainpc/pc2 and the default
 * ports), the hubs' VIEWER token file, 1 s scrape and evaluation intervals, and
 * {@code QuotaHubHubDown}'s {@code for} shortened from 30 s to 5 s (its 30 s is tested by
 * {@code alerts_test.yml} with promtool; here the path from a dead hub to Alertmanager is).
 * Alertmanager runs {@code infra/alertmanager/alertmanager.yml} with its webhook receivers pointed
 * at a receiver of this test.
 *
 * <p>Agents on both machines work through the SDK and push to their machine's Pushgateway; the
 * test asks Prometheus's HTTP API for both hubs' series and both machines' agent series, then
 * kills hub-edge ({@code kill -9}) and waits for {@code QuotaHubHubDown} at Alertmanager and at the
 * critical receiver. Skipped, saying what to install, when a Debian binary is missing.
 */
class MonitoringStackIT {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    private static final Path PROMETHEUS_YML = ROOT.resolve("infra/prometheus/prometheus.yml");
    private static final Path ALERTS_YML = ROOT.resolve("infra/prometheus/alerts.yml");
    private static final Path ALERTMANAGER_YML = ROOT.resolve("infra/alertmanager/alertmanager.yml");

    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Path PUSHGATEWAY = Path.of("/usr/bin/prometheus-pushgateway");
    private static final Path ALERTMANAGER = Path.of("/usr/bin/prometheus-alertmanager");

    /** The alert this test fires, and the {@code for} its rewritten copy uses. */
    private static final String HUB_DOWN = "QuotaHubHubDown";
    private static final String HUB_DOWN_FOR = "5s";
    private static final Duration READY_WITHIN = Duration.ofSeconds(30);

    private static final String POOLS = """
              pools:
                demo:
                  keys:
                    - id: k1
                      secret-env: QH_MON_K1
                      limits:
                        - { requests: 100, per: 1m }
                tiny:
                  keys:
                    - id: k2
                      secret-env: QH_MON_K2
                      limits:
                        - { requests: 2, per: 1m }
            """;

    private Path dir;
    private ProcessCluster cluster;
    private final List<MonitoringProcess> processes = new ArrayList<>();
    private final List<QuotaClient> clients = new ArrayList<>();
    private HttpServer receiver;
    /** Request line (method, path and query) and body of every notification Alertmanager sent. */
    private final List<String[]> notifications = new CopyOnWriteArrayList<>();

    @BeforeEach
    void needsTheBinaries() {
        for (Path binary : List.of(PROMETHEUS, PUSHGATEWAY, ALERTMANAGER)) {
            assumeTrue(Files.isExecutable(binary), binary + " is not installed (Debian: apt-get install --no-install-recommends "
                    + "prometheus prometheus-pushgateway prometheus-alertmanager; .ci/run installs them): monitoring stack not tested");
        }
    }

    @AfterEach
    void stopEverything() throws IOException {
        clients.forEach(QuotaClient::close);
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void prometheusScrapesBothHubsAndBothPushgatewaysAndAKilledHubReachesAlertmanager() throws Exception {
        dir = Files.createTempDirectory("qh-monitoring-");
        Path logs = Files.createDirectories(Path.of("target", "monitoring"));

        log("starting NATS and both hubs");
        cluster = ProcessCluster.start(ROOT, POOLS, List.of("QH_MON_K1", "QH_MON_K2"), "");
        int mainPort = cluster.hub("main").httpPort();
        int edgePort = cluster.hub("edge").httpPort();

        log("starting a Pushgateway per machine and Alertmanager");
        MonitoringProcess gatewayMain = started(MonitoringProcess.start("pushgateway-mainpc", PUSHGATEWAY,
                port -> pushgatewayArgs(port), logs, READY_WITHIN));
        MonitoringProcess gatewayPc2 = started(MonitoringProcess.start("pushgateway-pc2", PUSHGATEWAY,
                port -> pushgatewayArgs(port), logs, READY_WITHIN));
        String receiverUrl = startReceiver();
        Path alertmanagerYml = dir.resolve("alertmanager.yml");
        Files.writeString(alertmanagerYml, rewriteAlertmanager(Files.readString(ALERTMANAGER_YML), receiverUrl));
        Path alertmanagerData = Files.createDirectories(dir.resolve("alertmanager-data"));
        MonitoringProcess alertmanager = started(MonitoringProcess.start("alertmanager", ALERTMANAGER,
                port -> List.of("--config.file=" + alertmanagerYml, "--storage.path=" + alertmanagerData,
                        "--web.listen-address=127.0.0.1:" + port,
                        "--cluster.listen-address="), // no gossip port (it would be 9094)
                logs, READY_WITHIN));

        log("starting Prometheus with rewritten copies of prometheus.yml and alerts.yml");
        Path token = dir.resolve("viewer.token");
        Files.writeString(token, cluster.token("VIEWER"));
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(dir.resolve("alerts.yml"), rewriteAlerts(ALERTS_YML));
        Path prometheusYml = dir.resolve("prometheus.yml");
        Path prometheusData = Files.createDirectories(dir.resolve("prometheus-data"));
        int prometheusPort = FreePorts.next();
        Map<String, String> targets = Map.of(
                "mainpc:9000", "127.0.0.1:" + mainPort,
                "pc2:9100", "127.0.0.1:" + edgePort,
                "mainpc:9091", gatewayMain.address(),
                "pc2:9091", gatewayPc2.address(),
                "localhost:9090", "127.0.0.1:" + prometheusPort,
                "localhost:9093", alertmanager.address());
        Files.writeString(prometheusYml, rewritePrometheus(PROMETHEUS_YML, targets, token));
        MonitoringProcess prometheus = started(MonitoringProcess.start("prometheus", PROMETHEUS, prometheusPort,
                port -> List.of("--config.file=" + prometheusYml, "--storage.tsdb.path=" + prometheusData,
                        "--web.listen-address=127.0.0.1:" + port),
                logs, READY_WITHIN));

        log("agents on both machines: leases through the SDK, metrics pushed to their machine's Pushgateway");
        QuotaClient onMain = agent("main", "mon-agent-mainpc", gatewayMain);
        QuotaClient onPc2 = agent("edge", "mon-agent-pc2", gatewayPc2);
        int granted = 0;
        for (int i = 0; i < 6; i++) {
            Optional<Lease> lease = (i % 2 == 0 ? onMain : onPc2).tryAcquire("demo", 1);
            if (lease.isPresent()) {
                try (Lease l = lease.get()) {
                    l.complete(1);
                }
                granted++;
            }
        }
        assertThat(granted).as("leases granted to the agents").isEqualTo(6);
        // pool tiny has 2 requests a minute: of 6 attempts, at least 4 are refused (quotahub_agent_refusals_total)
        int refused = 0;
        for (int i = 0; i < 6; i++) {
            Optional<Lease> lease = (i % 2 == 0 ? onMain : onPc2).tryAcquire("tiny", 1);
            if (lease.isPresent()) {
                try (Lease l = lease.get()) {
                    l.complete(1);
                }
            } else {
                refused++;
            }
        }
        assertThat(refused).as("refusals in pool tiny").isGreaterThanOrEqualTo(4);

        log("asking Prometheus for both hubs' series");
        await("up == 1 for both hubs", Duration.ofSeconds(20), () -> values(prometheus, "up{job=~\"quotahub-hub.*\"} == 1", "job")
                .containsAll(Set.of("quotahub-hub-main", "quotahub-hub-edge")));
        await("quotahub_leases_granted_total of both hubs, with their machine labels", Duration.ofSeconds(20),
                () -> values(prometheus, "quotahub_leases_granted_total", "job", "machine")
                        .containsAll(Set.of("quotahub-hub-main/MainPC", "quotahub-hub-edge/PC2")));

        log("asking Prometheus for the agents' series (from both Pushgateways)");
        await("quotahub_agent_leases_total of both machines' agents", Duration.ofSeconds(20),
                () -> values(prometheus, "quotahub_agent_leases_total > 0", "job", "agent", "machine")
                        .containsAll(Set.of("quotahub_agent/mon-agent-mainpc/MainPC", "quotahub_agent/mon-agent-pc2/PC2")));
        assertThat(values(prometheus, "quotahub_agent_leases_total", "agent", "machine"))
                .as("agents in Prometheus: each on its own machine's Pushgateway, nothing else (no series kept from an earlier run)")
                .containsExactlyInAnyOrder("mon-agent-mainpc/MainPC", "mon-agent-pc2/PC2");
        await("every agent series of MetricNames.AGENT_PROMETHEUS_NAMES in Prometheus, from the Pushgateways",
                Duration.ofSeconds(20), () -> values(prometheus,
                        "count by (__name__) ({job=\"quotahub_agent\", __name__=~\"quotahub_agent_.*\"})", "__name__")
                        .containsAll(MetricNames.AGENT_PROMETHEUS_NAMES));

        log("kill -9 hub-edge; waiting for " + HUB_DOWN + " at Alertmanager");
        long killed = System.nanoTime();
        cluster.killHub("edge");
        await(HUB_DOWN + " for hub-edge active at Alertmanager", Duration.ofSeconds(40), () -> hubDownAt(alertmanager));
        log(HUB_DOWN + " reached Alertmanager %d s after the kill", (System.nanoTime() - killed) / 1_000_000_000L);
        assertThat(values(prometheus, "up{job=\"quotahub-hub-main\"} == 1", "job"))
                .as("hub-main still scraped").containsExactly("quotahub-hub-main");

        // Alertmanager routes severity=critical to the paging receiver (group_wait 10 s)
        await(HUB_DOWN + " delivered to the critical receiver", Duration.ofSeconds(30), () -> notifications.stream()
                .anyMatch(n -> n[0].contains("page=true") && n[1].contains(HUB_DOWN) && n[1].contains("quotahub-hub-edge")));
        String[] page = notifications.stream().filter(n -> n[1].contains(HUB_DOWN)).findFirst().orElseThrow();
        Map<String, Object> body = JSON.std.mapFrom(page[1]);
        assertThat(body.get("status")).as("notification status").isEqualTo("firing");
        assertThat(String.valueOf(body.get("commonLabels"))).as("notification labels")
                .contains("alertname=" + HUB_DOWN, "severity=critical", "machine=PC2");
        log("the critical receiver got %s (%d notifications in all)", page[0], notifications.size());
    }

    /**
     * A Pushgateway on 127.0.0.1:port keeping its metrics in memory only: Debian's build persists
     * them by default to /var/lib/prometheus/pushgateway.data, which two gateways (and every run)
     * would share.
     */
    private static List<String> pushgatewayArgs(int port) {
        return List.of("--web.listen-address=127.0.0.1:" + port, "--persistence.file=");
    }

    /** QuotaHubHubDown about hub-edge (job quotahub-hub-edge, machine PC2) is active at Alertmanager. */
    @SuppressWarnings("unchecked")
    private static boolean hubDownAt(MonitoringProcess alertmanager) throws IOException {
        HttpResponse<String> response = alertmanager.get("/api/v2/alerts?active=true");
        assertThat(response.statusCode()).as("Alertmanager /api/v2/alerts").isEqualTo(200);
        for (Object a : JSON.std.listFrom(response.body())) {
            Map<String, Object> alert = (Map<String, Object>) a;
            Map<String, Object> labels = (Map<String, Object>) alert.get("labels");
            Map<String, Object> status = (Map<String, Object>) alert.get("status");
            if (HUB_DOWN.equals(labels.get("alertname")) && "quotahub-hub-edge".equals(labels.get("job"))
                    && "PC2".equals(labels.get("machine")) && "critical".equals(labels.get("severity"))
                    && "active".equals(status.get("state"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The values of {@code labels} (joined by '/') of every series an instant query returns.
     */
    @SuppressWarnings("unchecked")
    private static Set<String> values(MonitoringProcess prometheus, String query, String... labels) throws IOException {
        HttpResponse<String> response = prometheus.get("/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
        assertThat(response.statusCode()).as("Prometheus query %s: %s", query, response.body()).isEqualTo(200);
        Map<String, Object> json = JSON.std.mapFrom(response.body());
        Map<String, Object> data = (Map<String, Object>) json.get("data");
        Set<String> found = new TreeSet<>();
        for (Object r : (List<Object>) data.get("result")) {
            Map<String, Object> metric = (Map<String, Object>) ((Map<String, Object>) r).get("metric");
            List<String> parts = new ArrayList<>();
            for (String label : labels) {
                parts.add(String.valueOf(metric.get(label)));
            }
            found.add(String.join("/", parts));
        }
        return found;
    }

    /**
     * prometheus.yml with every target replaced (an unknown target fails: the test follows the
     * file), the hubs' jobs reading the VIEWER token from {@code tokenFile}, 1 s intervals, the
     * rules from the copy next to it. Job names and target labels stay as they are.
     */
    @SuppressWarnings("unchecked")
    static String rewritePrometheus(Path source, Map<String, String> targets, Path tokenFile) throws IOException {
        Map<String, Object> config;
        try (InputStream in = Files.newInputStream(source)) {
            config = new Yaml().load(in);
        }
        Map<String, Object> global = (Map<String, Object>) config.get("global");
        global.put("scrape_interval", "1s");
        global.put("scrape_timeout", "1s");
        global.put("evaluation_interval", "1s");
        assertThat((List<String>) config.get("rule_files")).as("rule_files of %s", source).containsExactly("alerts.yml");
        Map<String, Object> alerting = (Map<String, Object>) config.get("alerting");
        for (Map<String, Object> am : (List<Map<String, Object>>) alerting.get("alertmanagers")) {
            replaceTargets((List<Map<String, Object>>) am.get("static_configs"), targets, source);
        }
        Set<String> jobs = new TreeSet<>();
        for (Map<String, Object> job : (List<Map<String, Object>>) config.get("scrape_configs")) {
            String name = String.valueOf(job.get("job_name"));
            jobs.add(name);
            replaceTargets((List<Map<String, Object>>) job.get("static_configs"), targets, source);
            if (name.startsWith("quotahub-hub")) {
                Map<String, Object> authorization = new LinkedHashMap<>();
                authorization.put("type", "Bearer");
                authorization.put("credentials_file", tokenFile.toString());
                job.put("authorization", authorization);
            }
        }
        assertThat(jobs).as("scrape jobs of %s", source)
                .contains("quotahub-hub-main", "quotahub-hub-edge", "quotahub-pushgateway");
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(config);
    }

    @SuppressWarnings("unchecked")
    private static void replaceTargets(List<Map<String, Object>> staticConfigs, Map<String, String> targets, Path source) {
        for (Map<String, Object> sc : staticConfigs) {
            List<String> replaced = new ArrayList<>();
            for (String target : (List<String>) sc.get("targets")) {
                String to = targets.get(target);
                if (to == null) {
                    throw new AssertionError("target " + target + " of " + source + " is not one this test knows: " + targets.keySet());
                }
                replaced.add(to);
            }
            sc.put("targets", replaced);
        }
    }

    /** alerts.yml with {@value #HUB_DOWN}'s {@code for} shortened to {@value #HUB_DOWN_FOR}; the rest unchanged. */
    @SuppressWarnings("unchecked")
    static String rewriteAlerts(Path source) throws IOException {
        Map<String, Object> rules;
        try (InputStream in = Files.newInputStream(source)) {
            rules = new Yaml().load(in);
        }
        int found = 0;
        for (Map<String, Object> group : (List<Map<String, Object>>) rules.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                if (HUB_DOWN.equals(rule.get("alert"))) {
                    rule.put("for", HUB_DOWN_FOR);
                    found++;
                }
            }
        }
        assertThat(found).as("rules named %s in %s", HUB_DOWN, source).isEqualTo(1);
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(rules);
    }

    /** alertmanager.yml with every webhook URL pointed at this test's receiver (the query kept). */
    static String rewriteAlertmanager(String yml, String receiverUrl) {
        String rewritten = yml.replaceAll("url: 'http://127\\.0\\.0\\.1:5001/alerts", "url: '" + receiverUrl);
        assertThat(rewritten).as("alertmanager.yml with its webhooks rewritten").contains(receiverUrl + "?page=true")
                .doesNotContain("127.0.0.1:5001");
        return rewritten;
    }

    /** A webhook receiver on a free port that keeps what it receives; returns its URL. */
    private String startReceiver() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            notifications.add(new String[] {exchange.getRequestMethod() + " " + exchange.getRequestURI(), body});
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/alerts";
    }

    private MonitoringProcess started(MonitoringProcess process) {
        processes.add(process);
        return process;
    }

    private QuotaClient agent(String side, String id, MonitoringProcess gateway) {
        QuotaClient client = cluster.agentClient(side).agentId(id)
                .pushGateway(gateway.address()).pushInterval(Duration.ofMillis(500)).build();
        clients.add(client);
        return client;
    }

    private void await(String what, Duration within, Callable<Boolean> condition) {
        try {
            Awaitility.await(what).atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250))
                    .until(condition);
        } catch (ConditionTimeoutException e) {
            StringBuilder logs = new StringBuilder();
            for (MonitoringProcess p : processes) {
                logs.append("\n---- ").append(p).append(" ----\n").append(p.logTail());
            }
            throw new AssertionError("timed out after " + within + " waiting for: " + what + logs, e);
        }
    }

    private static void log(String format, Object... args) {
        System.out.printf("[monitoring] " + format + "%n", args);
    }
}
