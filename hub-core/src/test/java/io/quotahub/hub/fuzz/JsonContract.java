package io.quotahub.hub.fuzz;

import io.quotahub.hub.fuzz.Json.Bool;
import io.quotahub.hub.fuzz.Json.Null;
import io.quotahub.hub.fuzz.Json.Num;
import io.quotahub.hub.fuzz.Json.Obj;
import io.quotahub.hub.fuzz.Json.Str;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which HTTP bodies the hub may act on, stated generously: a body is "maybe valid" if any lenient
 * JSON binder could read it as a valid request (a number written as a string, {@code true} as 1,
 * {@code 1.5} as 1, {@code [1]} as 1). The fuzz tests send only bodies that are certainly invalid,
 * so a hub is never blamed for a leniency of its JSON binder, only for acting on what no reading
 * makes valid.
 */
record JsonContract(WireContract wire) {

    private static final Set<String> PRIORITIES = Set.of("LOW", "NORMAL", "HIGH");
    private static final Set<String> OUTCOMES = Set.of("OK", "RATE_LIMITED", "ERROR", "AUTH_FAILED");

    /** {@code POST /api/v1/acquire}: pool, tokens (> 0, at most the largest token limit), priority, agentId, requestId. */
    boolean maybeValidAcquire(Json body) {
        if (!(unwrap(body) instanceof Obj o)) {
            return false;
        }
        return any(o, "pool", v -> v instanceof Str s && s.value().equals(wire.pool()))
                && any(o, "tokens", v -> inRange(v, BigDecimal.ONE, BigDecimal.valueOf(wire.largestTokens())))
                && absentOr(o, "priority", v -> v instanceof Str s && PRIORITIES.contains(s.value().trim().toUpperCase(Locale.ROOT)))
                && absentOr(o, "agentId", this::maybeId)
                && absentOr(o, "requestId", this::maybeId);
    }

    /** {@code POST /api/v1/leases/{handle}/complete}: tokensUsed (0..bound), outcome, retryAfterMs (>= 0), detail. */
    boolean maybeValidComplete(Json body) {
        if (!(unwrap(body) instanceof Obj o)) {
            return false;
        }
        return any(o, "tokensUsed", v -> inRange(v, BigDecimal.ZERO, BigDecimal.valueOf(wire.settleBound())))
                && absentOr(o, "outcome", v -> v instanceof Str s && OUTCOMES.contains(s.value().trim().toUpperCase(Locale.ROOT)))
                && absentOr(o, "retryAfterMs", v -> inRange(v, BigDecimal.ZERO, BigDecimal.valueOf(Long.MAX_VALUE)))
                && absentOr(o, "detail", v -> !(v instanceof Str s) || wire.shortField(s.value()));
    }

    private boolean maybeId(Json v) {
        if (v instanceof Str s) {
            return !s.value().isBlank() && wire.shortField(s.value());
        }
        return v instanceof Num || v instanceof Bool; // a binder may turn them into text
    }

    /** Whether some lenient reading of the value is a whole number in [min, max] (fractions may be cut off). */
    private static boolean inRange(Json v, BigDecimal min, BigDecimal max) {
        Optional<BigDecimal> number = Optional.empty();
        if (v instanceof Num n) {
            number = n.value();
        } else if (v instanceof Str s) {
            number = new Num(s.value().trim()).value();
        } else if (v instanceof Bool b) {
            number = Optional.of(b.value() ? BigDecimal.ONE : BigDecimal.ZERO);
        }
        if (number.isEmpty()) {
            return false;
        }
        BigDecimal x = number.get();
        // 0.5 may become 0 or 1 depending on rounding: accept anything within one of the range
        return x.compareTo(min.subtract(BigDecimal.ONE)) > 0 && x.compareTo(max.add(BigDecimal.ONE)) < 0;
    }

    private interface Check {
        boolean ok(Json value);
    }

    /** Some member of that name passes (a reader may keep the first or the last of duplicates). */
    private static boolean any(Obj o, String name, Check check) {
        return members(o, name).stream().map(JsonContract::unwrap).anyMatch(check::ok);
    }

    private static boolean absentOr(Obj o, String name, Check check) {
        List<Json> found = members(o, name);
        return found.isEmpty() || found.stream().map(JsonContract::unwrap).anyMatch(v -> v instanceof Null || check.ok(v));
    }

    /** A binder may take an array of one value as that value. */
    private static Json unwrap(Json v) {
        Json value = v;
        while (value instanceof Json.Arr a && a.items().size() == 1) {
            value = a.items().get(0);
        }
        return value;
    }

    private static List<Json> members(Obj o, String name) {
        return o.members().stream().filter(m -> m.name().equals(name)).map(Json.Member::value).toList();
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
