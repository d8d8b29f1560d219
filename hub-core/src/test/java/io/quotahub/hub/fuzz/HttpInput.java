package io.quotahub.hub.fuzz;

import io.quotahub.hub.fuzz.Json.Field;
import io.quotahub.hub.fuzz.NatsInput.Forge;
import io.quotahub.hub.fuzz.NatsInput.SecretGuess;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One hostile HTTP request to a route of the hub, made concrete against the honest agent's open
 * leases when sent (a forged complete names a lease that is really open).
 */
sealed interface HttpInput {

    String method();

    String path(Forge forge);

    Body body();

    /** Whether the contract lets the hub act on this request (then the test does not send it). */
    boolean maybeValid(JsonContract contract, Forge forge);

    /** Whether a 2xx answer is acceptable (reads are; commands that are all hostile are not). */
    boolean maySucceed();

    // ---- bodies

    sealed interface Body {
        byte[] bytes();

        /** The JSON it is, if a reader can take it as such. */
        default Json json() {
            return null;
        }
    }

    record JsonBody(Json json) implements Body {
        public byte[] bytes() {
            return JsonContract.utf8(json.text());
        }
    }

    /** JSON cut short. */
    record Truncated(Json whole, int keep) implements Body {
        public byte[] bytes() {
            byte[] all = JsonContract.utf8(whole.text());
            return Arrays.copyOf(all, Math.min(all.length - 1, keep % Math.max(1, all.length)));
        }
    }

    /** JSON with bytes that are not UTF-8 put in somewhere. */
    record NotUtf8(Json whole, int at) implements Body {
        public byte[] bytes() {
            return new Mutation.Insert(at, new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF}).apply(JsonContract.utf8(whole.text()));
        }
    }

    record Raw(byte[] raw) implements Body {
        public byte[] bytes() {
            return raw;
        }

        @Override
        public String toString() {
            return "Raw[" + raw.length + " bytes: " + HexFormat.of().formatHex(raw, 0, Math.min(raw.length, 48)) + "]";
        }
    }

    // ---- routes

    record Acquire(Body body) implements HttpInput {
        public String method() {
            return "POST";
        }

        public String path(Forge forge) {
            return "/api/v1/acquire";
        }

        public boolean maybeValid(JsonContract contract, Forge forge) {
            return body.json() != null && contract.maybeValidAcquire(body.json())
                    || body instanceof NotUtf8 n && contract.maybeValidAcquire(n.whole());
        }

        public boolean maySucceed() {
            return false;
        }
    }

    /** Which lease a complete names and with what secret ({@code bare}: the lease id alone). */
    record LeaseTarget(int lease, SecretGuess guess, boolean bare) {
        String segment(Forge forge) {
            HeldLease held = forge.lease(lease);
            if (bare) {
                return held.leaseId();
            }
            return guess == SecretGuess.OWN ? held.handle() : held.leaseId() + "." + guess.guess(forge, lease);
        }

        boolean holder(Forge forge) {
            return !bare && guess == SecretGuess.OWN && !forge.lease(lease).secret().isEmpty();
        }
    }

    record Complete(LeaseTarget target, String randomId, Body body) implements HttpInput {
        public String method() {
            return "POST";
        }

        public String path(Forge forge) {
            String id = target != null ? target.segment(forge) : randomId;
            return "/api/v1/leases/" + encode(id) + "/complete";
        }

        public boolean maybeValid(JsonContract contract, Forge forge) {
            boolean holder = target != null && target.holder(forge);
            Json json = body instanceof NotUtf8 n ? n.whole() : body.json();
            return holder && json != null && contract.maybeValidComplete(json);
        }

        public boolean maySucceed() {
            return false;
        }
    }

    /** {@code enable} or {@code reset} of a key that is not one of the pool's. */
    record KeyCommand(String command, String pool, String keyId, Body body) implements HttpInput {
        public String method() {
            return "POST";
        }

        public String path(Forge forge) {
            return "/api/v1/admin/keys/" + encode(pool) + "/" + encode(keyId) + "/" + command;
        }

        public boolean maybeValid(JsonContract contract, Forge forge) {
            return pool.equals(FuzzHub.POOL) && FuzzHub.KEYS.contains(keyId);
        }

        public boolean maySucceed() {
            return false;
        }
    }

    /** A single hub has no peer to declare dead. */
    record DeclareDead(Body body) implements HttpInput {
        public String method() {
            return "POST";
        }

        public String path(Forge forge) {
            return "/api/v1/admin/peer/declare-dead";
        }

        public boolean maybeValid(JsonContract contract, Forge forge) {
            return false;
        }

        public boolean maySucceed() {
            return false;
        }
    }

    /** A read, with a random query (or a random level for diagnostics), or a route that does not exist. */
    record Read(String route, String method, String query, Body body) implements HttpInput {
        public String method() {
            return method;
        }

        public String path(Forge forge) {
            return route + "?" + (route.endsWith("/diagnostics") ? "level=" : "q=") + encode(query);
        }

        public boolean maybeValid(JsonContract contract, Forge forge) {
            return false;
        }

        public boolean maySucceed() {
            return true;
        }
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    // ---- generators

    static Arbitrary<Body> bodies(Arbitrary<Json> shaped) {
        Arbitrary<Json> json = Arbitraries.frequencyOf(Tuple.of(4, shaped), Tuple.of(1, Json.values()));
        return Arbitraries.frequencyOf(
                Tuple.of(8, json.map(JsonBody::new)),
                Tuple.of(1, Combinators.combine(json, Arbitraries.integers().between(0, 10_000)).as(Truncated::new)),
                Tuple.of(1, Combinators.combine(json, Arbitraries.integers().between(0, 10_000)).as(NotUtf8::new)),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(256).map(Raw::new)));
    }

    /** Random acquire-shaped objects, and valid acquires with one field at an edge. */
    static Arbitrary<Json> acquireBodies() {
        Arbitrary<Json> random = Json.objectOf(List.of(
                new Field("pool", Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(new Json.Str(FuzzHub.POOL))),
                        Tuple.of(1, Json.strings().map(Json.Str::new)))),
                new Field("tokens", Json.numbers()),
                new Field("priority", Json.strings().map(Json.Str::new)),
                new Field("agentId", Json.strings().map(Json.Str::new)),
                new Field("requestId", Json.strings().map(Json.Str::new))));
        List<Json.Member> valid = List.of(new Json.Member("pool", new Json.Str(FuzzHub.POOL)),
                new Json.Member("tokens", new Json.Num("10")),
                new Json.Member("priority", new Json.Str("NORMAL")), new Json.Member("agentId", new Json.Str("hostile-http")),
                new Json.Member("requestId", new Json.Str("hostile-http-request")));
        Arbitrary<Json> oneDefect = Arbitraries.oneOf(
                defect(valid, "pool", Arbitraries.of("", " ", "no-such-pool", "p".repeat(4_000), FuzzHub.POOL + " ").map(Json.Str::new)),
                defect(valid, "tokens", edgeNumbers(FuzzHub.TOKENS_PER_HOUR)),
                defect(valid, "priority", Arbitraries.of("", "URGENT", "HIGHEST", "NORMAL\u0000").map(Json.Str::new)),
                defect(valid, "agentId", edgeIds()),
                defect(valid, "requestId", edgeIds()));
        return Arbitraries.frequencyOf(Tuple.of(1, random), Tuple.of(1, oneDefect));
    }

    /** Random complete-shaped objects, and valid completes with one field at an edge. */
    static Arbitrary<Json> completeBodies() {
        Arbitrary<Json> random = Json.objectOf(List.of(
                new Field("tokensUsed", Json.numbers()),
                new Field("outcome", Arbitraries.frequencyOf(
                        Tuple.of(2, Arbitraries.of("OK", "RATE_LIMITED", "ERROR", "AUTH_FAILED", "EXPIRED", "ok ").map(Json.Str::new)),
                        Tuple.of(1, Json.strings().map(Json.Str::new)))),
                new Field("retryAfterMs", Json.numbers()),
                new Field("detail", Json.strings().map(Json.Str::new))));
        List<Json.Member> valid = List.of(new Json.Member("tokensUsed", new Json.Num("5")), new Json.Member("outcome", new Json.Str("OK")));
        List<Json.Member> rateLimited = List.of(new Json.Member("tokensUsed", new Json.Num("5")),
                new Json.Member("outcome", new Json.Str("RATE_LIMITED")), new Json.Member("retryAfterMs", new Json.Num("1000")));
        List<Json.Member> error = List.of(new Json.Member("tokensUsed", new Json.Num("0")),
                new Json.Member("outcome", new Json.Str("ERROR")),
                new Json.Member("detail", new Json.Str("boom")));
        Arbitrary<Json> oneDefect = Arbitraries.oneOf(
                defect(valid, "tokensUsed", edgeNumbers(4 * FuzzHub.TOKENS_PER_HOUR)),
                defect(valid, "outcome", Arbitraries.of("EXPIRED", "", "BOGUS", "OK\u0000").map(Json.Str::new)),
                defect(rateLimited, "retryAfterMs", Arbitraries.oneOf(
                        Arbitraries.of("-1", "-9223372036854775808", "9223372036854775808", "1e400").map(Json.Num::new),
                        Arbitraries.of(new Json.Str("-5"), new Json.Obj(List.of())))),
                defect(error, "detail", Arbitraries.of(FuzzHub.MAX_FIELD_BYTES + 1, 70_000).map(n -> new Json.Str("d".repeat(n)))));
        return Arbitraries.frequencyOf(Tuple.of(1, random), Tuple.of(1, oneDefect));
    }

    /** Numbers just outside [0 or 1, max] and far outside, and values that are no number. */
    private static Arbitrary<Json> edgeNumbers(long max) {
        return Arbitraries.oneOf(
                Arbitraries.of("0", "-1", "-10", Long.toString(max + 1), "9223372036854775807", "-9223372036854775808",
                        "9223372036854775808", "1e400", "-1e400").map(Json.Num::new),
                Arbitraries.of(new Json.Str("abc"), new Json.Str("-1"), new Json.Arr(List.of()), new Json.Obj(List.of()),
                        new Json.Bool(false), new Json.Null()));
    }

    private static Arbitrary<Json> edgeIds() {
        return Arbitraries.of("", " ", "\t", "a".repeat(FuzzHub.MAX_FIELD_BYTES + 1), "é".repeat(FuzzHub.MAX_FIELD_BYTES / 2 + 1),
                "x".repeat(70_000)).map(Json.Str::new);
    }

    /** The valid members with one of them replaced. */
    private static Arbitrary<Json> defect(List<Json.Member> valid, String field, Arbitrary<Json> values) {
        return values.map(v -> new Json.Obj(valid.stream().map(m -> m.name().equals(field) ? new Json.Member(field, v) : m).toList()));
    }

    /** Path segments: at most a few thousand bytes once encoded (longer request lines are a test of their own). */
    static Arbitrary<String> segments() {
        return Json.strings().filter(s -> s.length() <= 1_000);
    }

    static Arbitrary<HttpInput> acquires() {
        return bodies(acquireBodies()).map(Acquire::new);
    }

    static Arbitrary<HttpInput> completes() {
        Arbitrary<LeaseTarget> targets = Combinators.combine(Arbitraries.integers().between(0, 7), Arbitraries.of(SecretGuess.class),
                Arbitraries.of(false, true)).as(LeaseTarget::new);
        Arbitrary<String> randomIds = Arbitraries.frequencyOf(Tuple.of(3, segments()),
                Tuple.of(1, Arbitraries.of("main-0-1", "main-mxd6hjls-1", "edge-0-0_abc", ".", "..", "a.b.c", "%2e%2e")));
        Arbitrary<HttpInput> forged = Combinators.combine(targets, bodies(completeBodies()))
                .as((t, b) -> new Complete(t, null, b));
        Arbitrary<HttpInput> random = Combinators.combine(randomIds, bodies(completeBodies()))
                .as((id, b) -> new Complete(null, id, b));
        return Arbitraries.frequencyOf(Tuple.of(3, forged), Tuple.of(1, random));
    }

    static Arbitrary<HttpInput> keyCommands() {
        Arbitrary<String> pools = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(FuzzHub.POOL)), Tuple.of(1, segments()));
        Arbitrary<String> keys = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.of(FuzzHub.KEYS)), Tuple.of(2, segments()));
        return Combinators.combine(Arbitraries.of("enable", "reset"), pools, keys, bodies(Json.values())).as(KeyCommand::new);
    }

    static Arbitrary<HttpInput> declareDeads() {
        return bodies(Json.values()).map(DeclareDead::new);
    }

    static Arbitrary<HttpInput> reads() {
        Arbitrary<String> routes = Arbitraries.of("/api/v1/state", "/api/v1/system", "/api/v1/diagnostics", "/health", "/",
                "/dashboard.js", "/api/v1/no-such-route", "/api/v1/leases", "/api/v1/admin/keys");
        Arbitrary<String> queries = Arbitraries.frequencyOf(Tuple.of(8, segments()), Tuple.of(1, Arbitraries.just("BASIC")));
        return Combinators.combine(routes, Arbitraries.of("GET", "GET", "GET", "POST", "PUT", "DELETE"), queries,
                bodies(Json.values())).as(Read::new);
    }
}
