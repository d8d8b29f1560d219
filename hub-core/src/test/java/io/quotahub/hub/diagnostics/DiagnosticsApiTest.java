package io.quotahub.hub.diagnostics;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import io.nats.client.Connection;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/diagnostics} on a real hub and nats-server: the levels, the 400, and each
 * check driven to WARN or FAIL by its real cause.
 */
class DiagnosticsApiTest {

    private static final List<String> ORDER = List.of("key-configuration", "environment-config", "storage", "rate-limiter",
            "thermal-health", "quota-status", "upstream-provider", "network-peer", "data-integrity", "memory",
            "performance-baseline", "security-configuration");
    private static final Pattern LEASE_ID = Pattern.compile("\"leaseId\":\"([^\"]+)\"");

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** A secret file readable by its owner only (as a careful operator sets it up). */
    private Path privateSecret(String name, String secret) {
        Path file = secretFile(dir, name, secret);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private NatsServer nats() {
        NatsServer nats = NatsServer.start();
        open.add(nats);
        return nats;
    }

    private TestHub hub(NatsServer nats, Map<String, Object> pools, Map<String, Object> extra) {
        TestHub hub = TestHub.start(nats, "main", pools, extra);
        open.add(hub);
        return hub;
    }

    private TestHub hub(Map<String, Object> pools) {
        return hub(nats(), pools, Map.of());
    }

    private Map<String, Object> onePool(String pool, String keyId, long limit, String per) {
        return Map.of(pool, Map.of("keys", List.of(key(keyId, privateSecret(keyId, "sk-diag-" + keyId + "-0123456789"),
                List.of(requests(limit, per))))));
    }

    private static Map<String, Object> report(TestHub hub, String level) {
        HttpResponse<String> r = hub.get("/api/v1/diagnostics" + (level == null ? "" : "?level=" + level));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(hub, r.body());
    }

    private static Map<String, Object> json(TestHub hub, String body) {
        try {
            return hub.bean(JsonMapper.class).readValue(body, Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> checks(Map<String, Object> report) {
        return (List<Map<String, Object>>) report.get("checks");
    }

    /** A check's result in a fresh run: the state just changed, a cached report would not show it. */
    private static Map<String, Object> check(TestHub hub, String level, String name) {
        return checks(report(hub, level + "&fresh=true")).stream().filter(c -> c.get("name").equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " at level " + level));
    }

    private static String leaseId(TestHub hub, String pool) {
        HttpResponse<String> r = hub.post("/api/v1/acquire", "{\"pool\":\"" + pool + "\",\"tokens\":1,\"agentId\":\"diag\",\"priority\":\"HIGH\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Matcher m = LEASE_ID.matcher(r.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static void complete(TestHub hub, String leaseId, String outcome) {
        HttpResponse<String> r = hub.post("/api/v1/leases/" + leaseId + "/complete",
                "{\"tokensUsed\":1,\"outcome\":\"" + outcome + "\",\"retryAfterMs\":" + (outcome.equals("RATE_LIMITED") ? 200 : 0) + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        Awaitility.await(what).atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .until(condition::getAsBoolean);
    }

    private static long grantedOnRealEngine(TestHub hub) {
        return hub.bean(QuotaEngine.class).view().pools().stream().flatMap(p -> p.keys().stream()).mapToLong(KeyView::granted).sum();
    }

    // ---- levels and the endpoint --------------------------------------------------------------

    @Test
    void levelsRunFourSixNineAndTwelveChecksInOrderAndTheSummaryAddsUp() {
        TestHub hub = hub(onePool("demo", "k1", 1000, "1h"));
        Map<String, Integer> expected = Map.of("BASIC", 4, "STANDARD", 6, "ADVANCED", 9, "CRITICAL", 12);
        long grantedBefore = grantedOnRealEngine(hub);
        for (Map.Entry<String, Integer> level : expected.entrySet()) {
            Map<String, Object> report = report(hub, level.getKey().toLowerCase());
            List<Map<String, Object>> checks = checks(report);
            assertThat(report.get("hubId")).isEqualTo("main");
            assertThat(report.get("level")).isEqualTo(level.getKey());
            assertThat(report.get("takenAt").toString()).isNotBlank();
            assertThat(report.get("cached")).isEqualTo(false);
            assertThat(report.get("confidence")).isEqualTo(Map.of("BASIC", 0.8, "STANDARD", 0.9, "ADVANCED", 0.95, "CRITICAL", 0.999)
                    .get(level.getKey()));
            assertThat(checks).extracting(c -> c.get("name")).containsExactlyElementsOf(ORDER.subList(0, level.getValue()));
            assertThat(checks).allSatisfy(c -> {
                assertThat(c.get("status")).isIn("PASS", "WARN", "FAIL");
                assertThat(c.get("title").toString()).isNotBlank();
                assertThat(c.get("detail").toString()).isNotBlank();
                assertThat(c.get("recommendation").toString()).isNotBlank();
            });
            @SuppressWarnings("unchecked")
            Map<String, Object> summary = (Map<String, Object>) report.get("summary");
            assertThat(summary.get("run")).isEqualTo(level.getValue());
            assertThat(summary.get("passed")).isEqualTo((int) checks.stream().filter(c -> c.get("status").equals("PASS")).count());
            assertThat(summary.get("warned")).isEqualTo((int) checks.stream().filter(c -> c.get("status").equals("WARN")).count());
            assertThat(summary.get("failed")).isEqualTo((int) checks.stream().filter(c -> c.get("status").equals("FAIL")).count());
        }
        Map<String, Object> byDefault = report(hub, null);
        assertThat(byDefault.get("level")).isEqualTo("STANDARD");
        assertThat(checks(byDefault)).hasSize(6);

        // a healthy single hub: the first nine checks pass, the peer check says why
        Map<String, Object> advanced = report(hub, "ADVANCED");
        assertThat(checks(advanced)).allSatisfy(c -> assertThat(c.get("status")).as(c.toString()).isEqualTo("PASS"));
        assertThat(check(hub, "ADVANCED", "network-peer").get("detail").toString()).contains("No peer configured");
        // the baseline ran on a private engine: the hub's engine granted nothing
        assertThat(grantedOnRealEngine(hub)).isEqualTo(grantedBefore);
    }

    @Test
    void anUnknownLevelIsA400WithTheUsualJsonError() {
        TestHub hub = hub(onePool("demo", "k1", 10, "1h"));
        HttpResponse<String> r = hub.get("/api/v1/diagnostics?level=EXTREME");
        assertThat(r.statusCode()).isEqualTo(400);
        Map<String, Object> body = json(hub, r.body());
        assertThat(body.get("error")).isEqualTo("bad_request");
        assertThat(body.get("message").toString()).contains("BASIC").contains("CRITICAL").contains("'EXTREME'");
    }

    // ---- 1 key configuration ------------------------------------------------------------------

    @Test
    void keyConfigurationWarnsForAKeyWhoseSecretFileIsUnreadableAndFailsForAPoolWithNoUsableKey() {
        TestHub partly = hub(Map.of("demo", Map.of("keys", List.of(
                key("k1", privateSecret("k1", "sk-diag-k1-0123456789"), List.of(requests(10, "1h"))),
                key("k2", dir.resolve("missing-k2"), List.of(requests(10, "1h")))))));
        Map<String, Object> warn = check(partly, "BASIC", "key-configuration");
        assertThat(warn.get("status")).isEqualTo("WARN");
        assertThat(warn.get("detail").toString()).contains("key k2 of pool demo is not used").contains("missing-k2");
        assertThat(warn.get("recommendation").toString()).contains("readable");

        TestHub broken = hub(Map.of(
                "demo", Map.of("keys", List.of(key("k1", privateSecret("k1b", "sk-diag-k1b-0123456789"), List.of(requests(10, "1h"))))),
                "broken", Map.of("keys", List.of(key("b1", dir.resolve("missing-b1"), List.of(requests(10, "1h")))))));
        Map<String, Object> fail = check(broken, "BASIC", "key-configuration");
        assertThat(fail.get("status")).isEqualTo("FAIL");
        assertThat(fail.get("detail").toString()).contains("Pool broken has no usable key");
    }

    @Test
    void keyConfigurationWarnsForAKeyDisabledByAnAuthFailure() {
        TestHub hub = hub(Map.of("demo", Map.of("keys", List.of(
                key("k1", privateSecret("k1", "sk-diag-k1-0123456789"), List.of(requests(100, "1h"))),
                key("k2", privateSecret("k2", "sk-diag-k2-0123456789"), List.of(requests(100, "1h")))))));
        assertThat(check(hub, "BASIC", "key-configuration").get("status")).isEqualTo("PASS");

        complete(hub, leaseId(hub, "demo"), "AUTH_FAILED");

        Map<String, Object> c = check(hub, "BASIC", "key-configuration");
        assertThat(c.get("status")).isEqualTo("WARN");
        assertThat(c.get("detail").toString()).contains("is disabled").contains("AUTH_FAILED").contains("1 of 2 loaded keys");
    }

    // ---- 2 environment / config ---------------------------------------------------------------

    @Test
    void environmentFlagsALeaseTtlLongerThanEveryWindowAndASettleMarginThatSwallowsTheWindow() {
        TestHub hub = hub(nats(), onePool("demo", "k1", 10, "1m"),
                Map.of("quotahub.lease-ttl", "2h", "quotahub.settle-margin", "40s"));
        Map<String, Object> c = check(hub, "BASIC", "environment-config");
        assertThat(c.get("status")).isEqualTo("FAIL");
        assertThat(c.get("detail").toString()).contains("quotahub.settle-margin (PT40S) is at least half of the shortest window")
                .contains("quotahub.lease-ttl (PT2H) is longer than the longest window").contains("Pools digest ");
        assertThat(c.get("recommendation").toString()).contains("quotahub.settle-margin").contains("quotahub.lease-ttl");
    }

    // ---- 3 storage ----------------------------------------------------------------------------

    @Test
    void storageFailsWhenTheNatsServerIsKilled() throws Exception {
        NatsServer nats = nats();
        TestHub hub = hub(nats, onePool("demo", "k1", 10, "1h"), Map.of());
        // JetStream calls have a short timeout: on a loaded machine the first one may miss it
        await("storage passes while NATS is up", Duration.ofSeconds(15), () -> "PASS".equals(check(hub, "BASIC", "storage").get("status")));
        assertThat(check(hub, "BASIC", "storage").get("detail").toString()).contains("Stream QH_LEDGER_main (ledger)");

        nats.kill();
        Connection c = hub.bean(HubRuntime.class).connection();
        await("the hub sees NATS gone", Duration.ofSeconds(10), () -> c.getStatus() != Connection.Status.CONNECTED);

        Map<String, Object> fail = check(hub, "BASIC", "storage");
        assertThat(fail.get("status")).isEqualTo("FAIL");
        assertThat(fail.get("detail").toString()).contains("JetStream is unreachable");
        assertThat(fail.get("recommendation").toString()).contains("nats-server");
    }

    // ---- 5 thermal, 6 quota -------------------------------------------------------------------

    @Test
    void aFullLimitFailsQuotaStatusAndThrottlesTheKey() throws Exception {
        TestHub hub = hub(onePool("demo", "k1", 10, "1h"));
        for (int i = 0; i < 10; i++) {
            leaseId(hub, "demo");
        }
        Map<String, Object> quota = check(hub, "STANDARD", "quota-status");
        assertThat(quota.get("status")).isEqualTo("FAIL");
        assertThat(quota.get("detail").toString()).contains("key k1 of pool demo is at 100.0 % (10 of 10");
        await("the key throttles", Duration.ofSeconds(10), () -> check(hub, "STANDARD", "thermal-health").get("status").equals("FAIL"));
        assertThat(check(hub, "STANDARD", "thermal-health").get("detail").toString()).contains("Key k1 of pool demo is THROTTLED");
    }

    @Test
    void aHotKeyWarnsInThermalHealthAndQuotaStatus() throws Exception {
        TestHub hub = hub(onePool("demo", "k1", 20, "1h"));
        for (int i = 0; i < 17; i++) {
            leaseId(hub, "demo");
        }
        Map<String, Object> quota = check(hub, "STANDARD", "quota-status");
        assertThat(quota.get("status")).isEqualTo("WARN");
        assertThat(quota.get("detail").toString()).contains("85.0 %");
        await("the key heats up to CRITICAL", Duration.ofSeconds(15),
                () -> check(hub, "STANDARD", "thermal-health").get("status").equals("WARN"));
        assertThat(check(hub, "STANDARD", "thermal-health").get("detail").toString()).contains("Key k1 of pool demo is CRITICAL");
    }

    // ---- 7 upstream provider ------------------------------------------------------------------

    @Test
    void upstreamProviderWarnsAfterA429AndFailsWhenTheCircuitOpens() {
        TestHub hub = hub(Map.of(
                "limited", Map.of("keys", List.of(key("l1", privateSecret("l1", "sk-diag-l1-0123456789"), List.of(requests(100, "1h"))))),
                "failing", Map.of("keys", List.of(key("e1", privateSecret("e1", "sk-diag-e1-0123456789"), List.of(requests(100, "1h")))))));
        assertThat(check(hub, "ADVANCED", "upstream-provider").get("status")).isEqualTo("PASS");

        complete(hub, leaseId(hub, "limited"), "RATE_LIMITED");
        Map<String, Object> warn = check(hub, "ADVANCED", "upstream-provider");
        assertThat(warn.get("status")).isEqualTo("WARN");
        assertThat(warn.get("detail").toString()).contains("Key l1 of pool limited: the provider answered 1 time(s) with 429");

        List<String> leases = List.of(leaseId(hub, "failing"), leaseId(hub, "failing"), leaseId(hub, "failing"));
        leases.forEach(id -> complete(hub, id, "ERROR"));
        Map<String, Object> fail = check(hub, "ADVANCED", "upstream-provider");
        assertThat(fail.get("status")).isEqualTo("FAIL");
        assertThat(fail.get("detail").toString()).contains("Key e1 of pool failing: circuit OPEN");
    }

    // ---- 12 security, and no secret anywhere ---------------------------------------------------

    @Test
    void securityFailsWhenASecretFileBecomesWorldReadable() throws Exception {
        Path file = privateSecret("k1", "sk-diag-k1-0123456789");
        TestHub hub = hub(Map.of("demo", Map.of("keys", List.of(key("k1", file, List.of(requests(10, "1h")))))));
        Map<String, Object> before = check(hub, "CRITICAL", "security-configuration");
        assertThat(before.get("status")).as(before.toString()).isEqualTo("WARN"); // TestHub runs without tokens
        assertThat(before.get("detail").toString()).contains("Protected mode").contains("127.0.0.1 only").doesNotContain("world-readable");

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        Map<String, Object> after = check(hub, "CRITICAL", "security-configuration");
        assertThat(after.get("status")).isEqualTo("FAIL");
        assertThat(after.get("detail").toString()).contains("secret file of key k1 of pool demo").contains("is world-readable (rw-r--r--)");
        assertThat(after.get("recommendation").toString()).contains("chmod 0440");
    }

    @Test
    void noSecretInAnyDiagnosticsOutputEvenWhenOneIsPastedIntoTheConfiguration() {
        String fileSecret = "sk-diag-FILE-secret-4242-zz";
        String pasted = "sk-diag-PASTED-secret-9999-yy";
        Path file = secretFile(dir, "k1", fileSecret);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> pools = new HashMap<>();
        pools.put("demo", Map.of("keys", List.of(
                key("k1", file, List.of(requests(10, "1h"))),
                Map.of("id", "k2", "secret-env", pasted, "limits", List.of(requests(10, "1h"))))));
        TestHub hub = hub(nats(), pools, Map.of("operator-note", "the key is " + fileSecret));
        complete(hub, leaseId(hub, "demo"), "RATE_LIMITED");

        List<String> bodies = new ArrayList<>();
        for (String level : List.of("BASIC", "STANDARD", "ADVANCED", "CRITICAL")) {
            bodies.add(hub.get("/api/v1/diagnostics?level=" + level).body());
        }
        bodies.add(hub.get("/api/v1/diagnostics?level=" + fileSecret).body());

        assertThat(bodies).noneMatch(b -> b.contains(fileSecret) || b.contains(pasted));
        Map<String, Object> security = check(hub, "CRITICAL", "security-configuration");
        assertThat(security.get("status")).isEqualTo("FAIL");
        assertThat(security.get("detail").toString())
                .contains("appears literally in configuration [operator-note")
                .contains("The secret-env of key k2 of pool demo is not an environment variable name")
                .contains("world-readable");
        assertThat(check(hub, "BASIC", "key-configuration").get("detail").toString()).contains("key k2 of pool demo is not used");
    }
}
