package io.quotahub.hub.fuzz;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Random JSON (random shapes, huge and negative numbers, deep nesting, long strings, wrong types,
 * bytes that are not UTF-8, nothing at all) to every HTTP route of the hub. Every answer is a
 * well-formed HTTP response, a 4xx with a JSON error body, never a 5xx but a 503 for the
 * documented cases; hostile commands never succeed, and the engine state after a batch is the
 * state the valid traffic before it left. {@code @Property(seed = "…")} replays a run.
 */
class HttpEntrancesFuzzTest {

    private static final Set<String> DOCUMENTED_503 = Set.of("unavailable", "fenced", "no_usable_key");

    static HostileRun run;
    static final JsonMapper JSON = JsonMapper.createDefault();

    @BeforeContainer
    static void start() {
        run = new HostileRun();
    }

    @AfterContainer
    static void stop() {
        if (run != null) {
            run.close();
        }
    }

    @Property(tries = 150)
    void acquire_hostileBodiesGetAJsonErrorAndChangeNothing(@ForAll("acquireBatches") List<HttpInput> batch) {
        send(batch);
    }

    @Property(tries = 150)
    void complete_forgedHandlesAndHostileBodiesSettleNothing(@ForAll("completeBatches") List<HttpInput> batch) {
        send(batch);
    }

    @Property(tries = 40)
    void adminCommands_onKeysThatDoNotExistOrWithoutAPeerChangeNothing(@ForAll("adminBatches") List<HttpInput> batch) {
        send(batch);
    }

    @Property(tries = 40)
    void reads_withRandomQueriesMethodsAndBodiesNeverFailTheServer(@ForAll("readBatches") List<HttpInput> batch) {
        send(batch);
    }

    /**
     * A request line far over the server's limit gets a JSON error, and the connection it came on
     * is either announced closed ({@code Connection: close}, or an HTTP/1.0 answer without
     * keep-alive) or still serves the next request. A server that closes it silently makes a
     * client that reuses connections lose its next request.
     */
    @Example
    void overlongRequestLine_isAnsweredAndItsConnectionClosedOrStillUsable() throws IOException {
        FuzzHub hub = run.hub();
        for (int length : new int[] {8_000, 70_000}) {
            try (RawHttp connection = new RawHttp(hub.uri("/").getPort())) {
                RawHttp.Response overlong = connection.post("/api/v1/admin/keys/" + "p".repeat(length) + "/k1/enable", "{}");
                assertThat(overlong.status()).as("a request line of %d bytes: %s", length, overlong).isBetween(400, 499);
                assertThat(overlong.header("content-type")).as("%s", overlong).contains("json");
                if (overlong.announcesClose()) {
                    continue;
                }

                RawHttp.Response next;
                try {
                    next = connection.post("/api/v1/acquire", "{}");
                } catch (IOException e) {
                    throw new AssertionError("the connection was closed although the answer did not announce it: " + overlong, e);
                }

                assertThat(next.status()).as("the next request on a connection kept open after %s", overlong).isEqualTo(400);
            }
        }
    }

    @Provide
    Arbitrary<List<HttpInput>> acquireBatches() {
        return Batches.of(HttpInput.acquires(), 12);
    }

    @Provide
    Arbitrary<List<HttpInput>> completeBatches() {
        return Batches.of(HttpInput.completes(), 12);
    }

    @Provide
    Arbitrary<List<HttpInput>> adminBatches() {
        return Batches.of(Arbitraries.oneOf(HttpInput.keyCommands(), HttpInput.declareDeads()), 8);
    }

    @Provide
    Arbitrary<List<HttpInput>> readBatches() {
        return Batches.of(HttpInput.reads(), 6);
    }

    private void send(List<HttpInput> batch) {
        EngineState before = run.validTrafficThenState();
        FuzzHub hub = run.hub();
        JsonContract contract = new JsonContract(hub.contract());
        NatsInput.Forge forge = new NatsInput.Forge(run.honest().openList(), System.currentTimeMillis());
        for (HttpInput input : batch) {
            if (input.maybeValid(contract, forge)) {
                Statistics.label("requests").collect("maybe valid, not sent");
                continue;
            }
            Statistics.label("requests").collect(input.getClass().getSimpleName());
            check(input, hub.send(request(hub, input, forge)));
        }
        run.assertUnchangedSince(before, batch);
    }

    private static HttpRequest request(FuzzHub hub, HttpInput input, NatsInput.Forge forge) {
        byte[] body = input.body().bytes();
        HttpRequest.BodyPublisher publisher = input.method().equals("GET") ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        return HttpRequest.newBuilder(hub.uri(input.path(forge))).timeout(FuzzHub.REPLY_TIMEOUT)
                .header("Content-Type", "application/json").method(input.method(), publisher).build();
    }

    private static void check(HttpInput input, HttpResponse<byte[]> r) {
        int status = r.statusCode();
        String body = new String(r.body(), StandardCharsets.UTF_8);
        String what = input + " -> " + status + " " + (body.length() > 400 ? body.substring(0, 400) + "…" : body);
        assertThat(status < 500 || status == 503).as("no server error but a documented 503: %s", what).isTrue();
        if (!input.maySucceed()) {
            assertThat(status).as("a hostile command succeeded: %s", what).isGreaterThanOrEqualTo(300);
        }
        if (status >= 400) {
            assertThat(r.headers().firstValue("Content-Type")).as("content type of %s", what).hasValueSatisfying(
                    type -> assertThat(type).contains("json"));
            Map<String, Object> error = jsonObject(r.body(), what);
            assertThat(error.get("message")).as("error message of %s", what).isInstanceOf(String.class);
            assertThat((String) error.get("message")).as("error message of %s", what).isNotBlank();
            if (status == 503) {
                assertThat(error.get("error")).as("a 503 only for the documented cases: %s", what).isIn(DOCUMENTED_503);
            }
        }
    }

    private static Map<String, Object> jsonObject(byte[] body, String what) {
        try {
            Map<String, Object> map = JSON.readValue(body, Argument.mapOf(String.class, Object.class));
            if (map == null) {
                fail("no JSON error body: %s", what);
            }
            return map;
        } catch (IOException e) {
            throw new AssertionError("the error body is not a JSON object: " + what, e);
        }
    }
}
