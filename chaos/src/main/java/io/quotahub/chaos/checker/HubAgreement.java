package io.quotahub.chaos.checker;

import io.quotahub.chaos.ChaosJson;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.suite.Clock;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Whether both hubs agree: each sees its peer {@code CONNECTED}, both run the same version of the
 * pools ({@code GET /api/v1/config}: a reload raises it) and both report the same {@code used} for
 * every limit of every key ({@code GET /api/v1/state}). This is the one place
 * the checker asks the hubs anything, and only to see whether they agree with each other.
 */
public final class HubAgreement {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private volatile String lastDisagreement = "";

    /** Why they did not agree at the last look. */
    public String lastDisagreement() {
        return lastDisagreement;
    }

    /** One look at both hubs. */
    public boolean agree(ChaosCluster cluster) {
        try {
            String viewer = cluster.token("VIEWER");
            Map<String, Object> main = state(cluster.hubUrl("main"), viewer);
            Map<String, Object> edge = state(cluster.hubUrl("edge"), viewer);
            String pm = peerStatus(main);
            String pe = peerStatus(edge);
            if (!"CONNECTED".equals(pm) || !"CONNECTED".equals(pe)) {
                lastDisagreement = "peer status main→" + pm + ", edge→" + pe;
                return false;
            }
            long vm = configVersion(cluster.hubUrl("main"), viewer);
            long ve = configVersion(cluster.hubUrl("edge"), viewer);
            if (vm != ve) {
                lastDisagreement = "pools version differs: main " + vm + " vs edge " + ve;
                return false;
            }
            Map<String, Long> um = used(main);
            Map<String, Long> ue = used(edge);
            if (!um.equals(ue)) {
                lastDisagreement = "used differs: main " + um + " vs edge " + ue;
                return false;
            }
            lastDisagreement = "";
            return true;
        } catch (RuntimeException e) {
            lastDisagreement = "state unavailable: " + e.getMessage();
            return false;
        }
    }

    /**
     * Polls until both hubs agree; returns when they did (epoch nanos), or -1 after {@code within}.
     */
    public long awaitAgreement(ChaosCluster cluster, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (agree(cluster)) {
                return Clock.now();
            }
            Clock.sleep(50);
        }
        return -1;
    }

    /** The version of the pools a hub runs (a reload raises it; both hubs run the same once they agree). */
    private long configVersion(String base, String viewerToken) {
        return ChaosJson.num(get(base, "/api/v1/config", viewerToken).get("version"));
    }

    private Map<String, Object> state(String base, String viewerToken) {
        return get(base, "/api/v1/state", viewerToken);
    }

    private Map<String, Object> get(String base, String path, String viewerToken) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Authorization", "Bearer " + viewerToken)
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(base + " answered " + r.statusCode());
            }
            return ChaosJson.obj(ChaosJson.parse(r.body()));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String peerStatus(Map<String, Object> state) {
        Object peer = state.get("peer");
        return peer == null ? "NONE" : Objects.toString(ChaosJson.obj(peer).get("status"));
    }

    /** pool/key/limit → used. */
    static Map<String, Long> used(Map<String, Object> state) {
        Map<String, Long> out = new TreeMap<>();
        for (Object p : ChaosJson.arr(state.get("pools"))) {
            Map<String, Object> pool = ChaosJson.obj(p);
            for (Object k : ChaosJson.arr(pool.get("keys"))) {
                Map<String, Object> key = ChaosJson.obj(k);
                for (Object l : ChaosJson.arr(key.get("limits"))) {
                    Map<String, Object> lim = ChaosJson.obj(l);
                    out.put(pool.get("name") + "/" + key.get("id") + "/" + lim.get("kind") + "/" + lim.get("capacity") + "/"
                            + lim.get("per"), ChaosJson.num(lim.get("used")));
                }
            }
        }
        return out;
    }
}
