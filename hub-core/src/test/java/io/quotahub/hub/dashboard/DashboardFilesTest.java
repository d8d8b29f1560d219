package io.quotahub.hub.dashboard;

import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's files and the system endpoint over HTTP (no browser needed). */
class DashboardFilesTest {

    private static final String SECRET = "sk-dashboard-files-secret-7777";

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;

    @BeforeAll
    static void start() {
        nats = NatsServer.start();
        hub = TestHub.start(nats, "main", Map.of("demo", Map.of("keys",
                List.of(key("k1", secretFile(dir, "k1", SECRET), List.of(requests(10, "1m")))))));
    }

    @AfterAll
    static void stop() {
        hub.close();
        nats.close();
    }

    @Test
    void theThreeFilesAreServedWithTheirContentTypes() {
        for (var file : Map.of("/", "text/html", "/index.html", "text/html", "/dashboard.css", "text/css",
                "/dashboard.js", "text/javascript").entrySet()) {
            HttpResponse<String> r = hub.get(file.getKey());

            assertThat(r.statusCode()).as(file.getKey()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).as(file.getKey())
                    .hasValueSatisfying(v -> assertThat(v).startsWith(file.getValue()));
            assertThat(r.body()).as(file.getKey()).isNotBlank().doesNotContain(SECRET);
        }
    }

    @Test
    void everyUrlIsRelativeAndNothingComesFromElsewhere() {
        String html = hub.get("/").body();
        String js = hub.get("/dashboard.js").body();
        String css = hub.get("/dashboard.css").body();

        assertThat(html).contains("href=\"dashboard.css\"").contains("src=\"dashboard.js\"").contains("\"api/v1/state\"");
        for (String text : List.of(html, js, css)) {
            assertThat(text.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http://").doesNotContain("https://").doesNotContain("\"/api")
                    .doesNotContain("'/api").doesNotContain("href=\"/").doesNotContain("src=\"/").doesNotContain("url(");
        }
    }

    @Test
    void theSystemEndpointReportsCpuAndMemoryOfTheProcess() {
        HttpResponse<String> r = hub.get("/api/v1/system");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"cpuLoad\":").contains("\"heapUsedBytes\":").contains("\"heapMaxBytes\":")
                .contains("\"uptimeSeconds\":");
    }
}
