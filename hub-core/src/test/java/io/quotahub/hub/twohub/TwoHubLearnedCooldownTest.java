package io.quotahub.hub.twohub;

import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.TestHub;
import io.quotahub.hub.replication.PeerStatus;
import io.quotahub.testkit.NatsPair;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The learned cooldown is a fold of both ledgers' settles: a 429 right after a cooldown, reported
 * to the other hub than the first, teaches both hubs the same cooldown, OKs on either shorten it on
 * both, and a hub restarted (from a snapshot, or by a full replay) learns it again. Real clocks:
 * the relapse must come within one cooldown (2 s) of its end, which the test's next grant does.
 */
class TwoHubLearnedCooldownTest {

    private static final String SECRET = "sk-two-hub-learned-cooldown-01";

    @TempDir
    Path dir;

    private TestHub hub(NatsPair pair, String id, String peer, boolean snapshots) {
        Map<String, Object> pools = Map.of("demo", Map.of("preset", "PREMIUM",
                "keys", List.of(key("k1", secretFile(dir, "k1", SECRET), List.of(requests(1000, "1h"))))));
        Map<String, Object> settings = new HashMap<>(Map.of("quotahub.peer-id", peer,
                "quotahub.takeover-after", "60s", // a quick restart, not a takeover
                "quotahub.cooldown.ladder", List.of("1s"),
                "quotahub.cooldown.failures-to-block", 100));
        settings.put("quotahub.snapshot-every", snapshots ? 1 : 0);
        settings.put("quotahub.snapshot-max-age", "200ms");
        return TestHub.start(pair.server(id), id, pools, settings);
    }

    private static KeyView keyView(TestHub hub) {
        return hub.bean(QuotaEngine.class).view().pools().get(0).keys().get(0);
    }

    private static int openLeases(TestHub hub) {
        return hub.bean(QuotaEngine.class).view().openLeases();
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(condition::getAsBoolean);
    }

    /** A lease of {@code hub} as soon as the key serves again: its handle. */
    private static String grant(TestHub hub) {
        AtomicReference<String> handle = new AtomicReference<>();
        await("a lease", () -> {
            HttpResponse<String> r = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"t\"}");
            if (r.statusCode() == 200) {
                handle.set(r.body().replaceAll(".*\"leaseId\":\"([^\"]+)\".*", "$1"));
            }
            return r.statusCode() == 200;
        });
        return handle.get();
    }

    /**
     * Settles on {@code at} and waits until both hubs folded it: both counted all {@code leases}
     * granted so far (this one too) and none is open. Each settle is folded by both before the next
     * is made, so both fold the same sequence.
     */
    private static void settle(TestHub at, TestHub other, String handle, String outcome, int leases) {
        settle(at, other, handle, outcome, 0, leases);
    }

    private static void settle(TestHub at, TestHub other, String handle, String outcome, long retryAfterMs, int leases) {
        HttpResponse<String> r = at.post("/api/v1/leases/" + handle + "/complete", "{\"tokensUsed\":1,\"outcome\":\"" + outcome + "\""
                + (retryAfterMs > 0 ? ",\"retryAfterMs\":" + retryAfterMs : "") + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        await("both hubs folded the grant and the settle", () -> keyView(at).granted() == leases && keyView(other).granted() == leases
                && openLeases(at) == 0 && openLeases(other) == 0);
    }

    private static void assertSameCooldown(TestHub a, TestHub b, Duration learned) {
        KeyView ka = keyView(a);
        KeyView kb = keyView(b);
        assertThat(ka.learnedCooldown()).as("learned at " + a.bean(HubRuntime.class).hubId()).isEqualTo(learned);
        assertThat(kb.learnedCooldown()).as("learned at " + b.bean(HubRuntime.class).hubId()).isEqualTo(learned);
        assertThat(kb.nextCooldown()).isEqualTo(ka.nextCooldown());
        assertThat(kb.cooldownUntil()).isEqualTo(ka.cooldownUntil());
        assertThat(kb.rateLimited()).isEqualTo(ka.rateLimited());
    }

    @Test
    void relapsesReportedToEitherHub_teachBothTheSameCooldown_andARestartedHubLearnsItAgain() throws Exception {
        try (NatsPair pair = NatsPair.start(); TestHub main = hub(pair, "main", "edge", true)) {
            TestHub edge = hub(pair, "edge", "main", true);
            try {
                await("peers connected", () -> main.bean(HubRuntime.class).replication().status() == PeerStatus.CONNECTED
                        && edge.bean(HubRuntime.class).replication().status() == PeerStatus.CONNECTED);

                // a 429 with the provider's Retry-After of 2 s at main
                settle(main, edge, grant(main), "RATE_LIMITED", 2_000, 1);
                assertSameCooldown(main, edge, Duration.ZERO);
                // another right after it ended, reported to edge: a relapse, both learn 2 x 2 s
                settle(edge, main, grant(edge), "RATE_LIMITED", 2);
                assertSameCooldown(main, edge, Duration.ofSeconds(4));
                assertThat(keyView(edge).nextCooldown()).isEqualTo(Duration.ofSeconds(4));
                // five OKs in a row, taken by both hubs in turn: halved, on both
                for (int i = 0; i < 5; i++) {
                    TestHub at = i % 2 == 0 ? main : edge;
                    settle(at, at == edge ? main : edge, grant(at), "OK", 3 + i);
                    assertThat(keyView(main).learnedCooldown()).isEqualTo(Duration.ofSeconds(i < 4 ? 4 : 2));
                }
                assertSameCooldown(main, edge, Duration.ofSeconds(2));
                assertThat(keyView(main).nextCooldown()).as("longer than the ladder's 1 s").isEqualTo(Duration.ofSeconds(2));
                assertThat(keyView(main).rateLimited()).isEqualTo(2);
            } finally {
                edge.close();
            }

            try (TestHub fromSnapshot = hub(pair, "edge", "main", true)) {
                assertThat(fromSnapshot.bean(HubRuntime.class).restoredFrom()).as("restored from a snapshot").isNotNull();
                assertSameCooldown(main, fromSnapshot, Duration.ofSeconds(2));
            }
            try (TestHub replayed = hub(pair, "edge", "main", false)) {
                assertThat(replayed.bean(HubRuntime.class).restoredFrom()).as("a full replay").isNull();
                assertSameCooldown(main, replayed, Duration.ofSeconds(2));
            }
        }
    }
}
