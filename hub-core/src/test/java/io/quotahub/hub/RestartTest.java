package io.quotahub.hub;

import io.nats.client.Nats;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.testkit.NatsServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/** A restarted hub replays its ledger: limits stay enforced across restarts of the hub and of NATS. */
class RestartTest {

    @TempDir
    Path dir;

    private Map<String, Object> pools() {
        Path secret = secretFile(dir, "k1", "sk-restart-test-0000001");
        return Map.of("demo", Map.of("high-priority-agents", List.of("restart-test"),
                "keys", List.of(key("k1", secret, List.of(requests(3, "1h"))))));
    }

    private static int acquire(TestHub hub) {
        HttpResponse<String> r = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"restart-test\",\"priority\":\"HIGH\"}");
        return r.statusCode();
    }

    @Test
    void aFullWindowStaysFullAfterTheHubRestarts() {
        try (NatsServer nats = NatsServer.start()) {
            try (TestHub hub = TestHub.start(nats, "main", pools())) {
                assertThat(List.of(acquire(hub), acquire(hub), acquire(hub))).containsOnly(200);
                assertThat(acquire(hub)).isEqualTo(429);
            }

            try (TestHub restarted = TestHub.start(nats, "main", pools())) {
                assertThat(acquire(restarted)).isEqualTo(429);
                assertThat(restarted.bean(QuotaEngine.class).view().openLeases()).isEqualTo(3);
            }
        }
    }

    @Test
    void aFullWindowStaysFullAfterARestartFromASnapshot() throws InterruptedException {
        Map<String, Object> snapshotOften = Map.of("quotahub.snapshot-every", 1, "quotahub.snapshot-max-age", "200ms");
        try (NatsServer nats = NatsServer.start()) {
            try (TestHub hub = TestHub.start(nats, "main", pools(), snapshotOften)) {
                assertThat(List.of(acquire(hub), acquire(hub), acquire(hub))).containsOnly(200);
                HubRuntime runtime = hub.bean(HubRuntime.class);
                Awaitility.await("a snapshot through the third grant").atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO)
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> runtime.snapshots().latest() != null && runtime.snapshots().latest().ownSeq() >= 3);
                assertThat(runtime.snapshots().latest().ownSeq()).isGreaterThanOrEqualTo(3);
            }

            try (TestHub restarted = TestHub.start(nats, "main", pools(), snapshotOften)) {
                assertThat(restarted.bean(HubRuntime.class).restoredFrom()).isNotNull();
                assertThat(acquire(restarted)).isEqualTo(429);
                assertThat(restarted.bean(QuotaEngine.class).view().openLeases()).isEqualTo(3);
            }
        }
    }

    /**
     * A start-up attempt can restore the engine from a snapshot and then fail (the replay of the
     * tail timed out, say); the retry must go on from that snapshot: the engine is no longer fresh,
     * so restoring into it again fails, and the hub used to retry that for ever without becoming
     * ready. Here the retry is the assembly opened again after an attempt that restored.
     */
    @Test
    void aStartUpRetryAfterAnAttemptThatRestoredASnapshot_goesOnFromThatSnapshot() throws Exception {
        Map<String, Object> snapshotOften = Map.of("quotahub.snapshot-every", 1, "quotahub.snapshot-max-age", "200ms");
        try (NatsServer nats = NatsServer.start()) {
            try (TestHub hub = TestHub.start(nats, "main", pools(), snapshotOften)) {
                assertThat(List.of(acquire(hub), acquire(hub), acquire(hub))).containsOnly(200);
                HubRuntime runtime = hub.bean(HubRuntime.class);
                Awaitility.await("a snapshot through the third grant").atMost(Duration.ofSeconds(20))
                        .until(() -> runtime.snapshots().latest() != null && runtime.snapshots().latest().ownSeq() >= 3);
            }

            try (TestHub restarted = TestHub.start(nats, "main", pools(), snapshotOften)) {
                HubRuntime runtime = restarted.bean(HubRuntime.class);
                assertThat(runtime.restoredFrom()).as("the first attempt restored from the snapshot").isNotNull();

                RunningHub retried = restarted.bean(HubAssembly.class).open(runtime.connection(), () -> Nats.connect(nats.url()));
                try {
                    assertThat(retried.restoredFrom()).isSameAs(runtime.restoredFrom());
                    assertThat(restarted.bean(QuotaEngine.class).view().openLeases()).as("nothing counted twice").isEqualTo(3);
                    assertThat(acquire(restarted)).isEqualTo(429);
                } finally {
                    retried.close();
                }
            }
        }
    }

    @Test
    void aFullWindowStaysFullAfterNatsAndTheHubRestart() {
        try (NatsServer nats = NatsServer.start()) {
            try (TestHub hub = TestHub.start(nats, "main", pools())) {
                assertThat(List.of(acquire(hub), acquire(hub))).containsOnly(200);
            }
            nats.kill();
            nats.startAgain();

            try (TestHub restarted = TestHub.start(nats, "main", pools())) {
                assertThat(acquire(restarted)).isEqualTo(200);
                assertThat(acquire(restarted)).isEqualTo(429);
            }
        }
    }

    @Test
    void withNatsDownNothingIsGrantedAndTheHubServesAgainWhenItReturns() {
        try (NatsServer nats = NatsServer.start(); TestHub hub = TestHub.start(nats, "main", pools())) {
            nats.kill();

            HttpResponse<String> whileDown = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"t\"}");

            assertThat(whileDown.statusCode()).as(whileDown.body()).isEqualTo(503);
            assertThat(hub.bean(QuotaEngine.class).view().openLeases()).isZero();
            nats.startAgain();
            long deadline = System.currentTimeMillis() + 15_000;
            int status = 0;
            while (status != 200 && System.currentTimeMillis() < deadline) {
                status = acquire(hub);
            }
            assertThat(status).isEqualTo(200);
        }
    }
}
