package io.quotahub.agent;

import com.sun.net.httpserver.HttpServer;
import io.quotahub.proto.Outcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The example of agent-sdk/README.md "Bulk work", as written there, against a local provider and a fake hub. */
class BulkSnippetTest extends NatsTestBase {

    record Doc(String id, String text) {
    }

    private static final Logger log = Logger.getLogger(BulkSnippetTest.class.getName());
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> keysSeen = new CopyOnWriteArrayList<>();
    private final List<Doc> retried = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private String base;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    private void startProvider() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/summaries", exchange -> {
            keysSeen.add(exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.getRequestBody().readAllBytes();
            byte[] bytes = "{\"summary\":\"short\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static long estimate(Doc d) {
        return d.text().length();
    }

    private HttpRequest summaryRequest(Doc d, String apiKey) {
        return HttpRequest.newBuilder(URI.create(base + "/v1/summaries")).header("Authorization", "Bearer " + apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(d.text())).build();
    }

    private void retryLater(Doc d, Throwable why) {
        retried.add(d);
    }

    @Test
    void theReadmesBulkExampleRuns() throws Exception {
        FakeHub main = hub("main");
        startProvider();
        QuotaClient client = client();
        List<Doc> docs = IntStream.range(0, 6).mapToObj(i -> new Doc("d" + i, "text of document " + i)).toList();

        BulkResult<Doc, HttpResponse<String>> r = client.bulk("summaries", docs)
                .tokens(d -> estimate(d))              // per item, > 0 (default 1)
                .maxInFlight(4)                        // leases held or asked for at once (default 4)
                .maxWait(Duration.ofMinutes(1))        // per item's lease (default 1 min)
                .stopAfterFailures(10)                 // default 0: try every item whatever fails
                .onProgress(p -> log.info(p.toString()))  // "12/40 done (11 ok, 1 failed, 0 cancelled), 4 in flight, 3.10/s, ETA 9 s"
                .run((d, lease) -> http.send(summaryRequest(d, lease.apiKey()), HttpResponse.BodyHandlers.ofString()));
        for (BulkItem<Doc, HttpResponse<String>> item : r.items()) {   // input order, one per item taken
            if (!item.succeeded()) retryLater(item.item(), item.failure());
        }

        assertThat(r.allSucceeded()).isTrue();
        assertThat(r.items()).extracting(i -> i.item().id()).containsExactly("d0", "d1", "d2", "d3", "d4", "d5");
        assertThat(r.items()).extracting(i -> i.value().statusCode()).containsOnly(200);
        assertThat(retried).isEmpty();
        assertThat(keysSeen).hasSize(6).containsOnly("Bearer " + FakeHub.apiKeyOf("main"));
        assertThat(main.settles).hasSize(6).extracting(s -> s.request().getOutcome()).containsOnly(Outcome.OK);
    }
}
