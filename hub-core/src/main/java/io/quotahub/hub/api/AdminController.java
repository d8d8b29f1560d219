package io.quotahub.hub.api;

import io.micronaut.security.annotation.Secured;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.serde.annotation.Serdeable;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.replication.Replication;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.service.ErrorCode;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.engine.view.KeyView;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.metrics.Entrance;
import io.quotahub.hub.service.InputBounds;
import io.quotahub.hub.service.Reloads;
import io.quotahub.hub.metrics.RejectReason;
import io.micronaut.security.authentication.Authentication;
import io.quotahub.hub.security.HttpPrincipal;
import io.micronaut.core.annotation.Nullable;
import io.quotahub.proto.LedgerEvent;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Operator commands. Each is written to the ledger with the operator's principal (its token, or
 * {@code local} in protected mode) and, once stored, copied to the audit stream
 * ({@code GET /api/v1/admin/audit}).
 */
@Secured("OPERATOR")
@Controller("/api/v1/admin")
public class AdminController {

    private final HubRuntime runtime;
    private final QuotaEngine engine;
    private final HubLedger ledger;
    private final Clock clock;
    private final InputBounds bounds;
    private final GuardMetrics metrics;

    private final Reloads reloads;

    public AdminController(HubRuntime runtime, QuotaEngine engine, HubLedger ledger, Clock clock, InputBounds bounds,
                           GuardMetrics metrics, Reloads reloads) {
        this.reloads = reloads;
        this.bounds = bounds;
        this.metrics = metrics;
        this.runtime = runtime;
        this.engine = engine;
        this.ledger = ledger;
        this.clock = clock;
    }

    /** The answer of enable: the key and whether it was disabled before. */
    @Serdeable
    public record KeyEnabledBody(String pool, String keyId, boolean wasDisabled) {
    }

    /**
     * Re-enables a key an auth failure disabled (after the operator fixed the key). 404 for an
     * unknown key.
     */
    @Post("/keys/{pool}/{keyId}/enable")
    public CompletableFuture<HttpResponse<?>> enableKey(String pool, String keyId, @Nullable Authentication authentication) {
        LedgerEvent event = LedgerEvents.keyEnabled(runtime.hubId(), pool, keyId, clock.millis(), HttpPrincipal.of(authentication));
        return keyCommand(pool, keyId, event, before -> {
            engine.enableKey(pool, keyId);
            return new KeyEnabledBody(pool, keyId, before.disabled());
        });
    }

    /**
     * The answer of reset: the key and what the reset cleared.
     *
     * @param previousCircuit       the circuit state before (CLOSED afterwards)
     * @param previousCooldownUntil when its cooldown would have ended (null: none)
     * @param wasDisabled           whether an auth failure had disabled it
     */
    @Serdeable
    public record KeyResetBody(String pool, String keyId, String previousCircuit, @Nullable String previousCooldownUntil,
                               boolean wasDisabled) {
    }

    /**
     * Clears a key's cooldown, failure block, circuit (to CLOSED) and disabled state: the way out
     * of a cooldown nobody should have to wait for (a bogus Retry-After, a fixed key). Its observed
     * provider limits are cleared too (a learned limit is back to the configured one until a report
     * shows a lower limit again). 404 for an unknown key.
     */
    @Post("/keys/{pool}/{keyId}/reset")
    public CompletableFuture<HttpResponse<?>> resetKey(String pool, String keyId, @Nullable Authentication authentication) {
        Instant now = clock.instant();
        LedgerEvent event = LedgerEvents.keyReset(runtime.hubId(), pool, keyId, now.toEpochMilli(), HttpPrincipal.of(authentication));
        return keyCommand(pool, keyId, event, before -> {
            engine.resetKey(pool, keyId);
            engine.clearObservedLimits(pool, keyId, now.toEpochMilli(), runtime.hubId());
            String cooldownUntil = before.cooldownUntil() == null || !before.cooldownUntil().isAfter(now) ? null
                    : before.cooldownUntil().toString();
            return new KeyResetBody(pool, keyId, before.circuit().name(), cooldownUntil, before.disabled());
        });
    }

    /**
     * A command on one key: written to the ledger first, so that the peer hub and every replay fold
     * it at the same place, then applied here; {@code apply} gets the key as it was and gives the
     * answer. 400 for a name above the field bound, 404 for an unknown key.
     */
    private CompletableFuture<HttpResponse<?>> keyCommand(String pool, String keyId, LedgerEvent event,
                                                          Function<KeyView, Object> apply) {
        HttpResponse<?> invalid = checkKeyRef(pool, keyId);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        Optional<KeyView> key = keyView(pool, keyId);
        if (key.isEmpty()) {
            return CompletableFuture.completedFuture(ApiError.response(ErrorCode.UNKNOWN_POOL, "no key '" + keyId + "' in pool '" + pool + "'"));
        }
        Ledger target = ledger.current();
        if (target == null) {
            return CompletableFuture.completedFuture(ApiError.response(ErrorCode.UNAVAILABLE, "hub is starting"));
        }
        KeyView before = key.get();
        return target.append(event).handle((seq, error) -> error != null
                ? ApiError.response(ErrorCode.UNAVAILABLE, "could not record the change in the ledger; retry")
                : HttpResponse.ok(apply.apply(before)));
    }

    private Optional<KeyView> keyView(String pool, String keyId) {
        return engine.view().pools().stream().filter(p -> p.name().equals(pool))
                .flatMap(p -> p.keys().stream()).filter(k -> k.id().equals(keyId)).findFirst();
    }

    /** A 400 answer when a path field is above quotahub.max-field-bytes, else null. */
    private HttpResponse<?> checkKeyRef(String pool, String keyId) {
        String problem = bounds.fieldProblem("pool", pool);
        problem = problem != null ? problem : bounds.fieldProblem("keyId", keyId);
        if (problem == null) {
            return null;
        }
        metrics.rejected(Entrance.HTTP_ADMIN, RejectReason.FIELD_TOO_LONG);
        return ApiError.badRequest(problem);
    }

    /** How long a reload waits for the peer to fold it before it answers {@code "peer": "waiting"}. */
    static final java.time.Duration RELOAD_WAITS_FOR_PEER = java.time.Duration.ofSeconds(2);

    /**
     * The answer of a reload.
     *
     * @param changed       false: the files hold what runs already (nothing written)
     * @param version       the configuration's version now (both hubs announce it)
     * @param digest        the pools' digest now (ids and limits, never secrets)
     * @param changes       what changed: limits lowered and raised, pools and keys added and removed, secrets rotated
     * @param peer          {@code folded}: the peer switched too; {@code waiting}: not yet (a raised
     *                      limit's extra room waits for it); {@code none}: no peer
     * @param holdingRaises true while the extra room of a raised limit waits for the peer
     */
    @Serdeable
    public record ReloadBody(String hubId, boolean changed, long version, String digest, String previousDigest,
                             java.util.List<String> changes, String peer, boolean holdingRaises) {
    }

    /**
     * Re-reads the pools from the configuration files this hub was started with, checks them
     * completely and switches both hubs at this point of the ledger (docs/operations.md,
     * "Changing limits, keys and pools"). 400 naming the file or path of the first problem, 503 when
     * the ledger cannot take it; either way nothing changed.
     */
    @Post("/config/reload")
    @io.micronaut.scheduling.annotation.ExecuteOn(io.micronaut.scheduling.TaskExecutors.BLOCKING)
    public HttpResponse<?> reload(@Nullable Authentication authentication) {
        try {
            Reloads.ReloadResult r = reloads.reload(HttpPrincipal.of(authentication), RELOAD_WAITS_FOR_PEER);
            return HttpResponse.ok(new ReloadBody(runtime.hubId(), r.changed(), r.version(), r.digest(), r.previousDigest(),
                    r.changes(), r.peer(), r.holdingRaises()));
        } catch (Reloads.Refused e) {
            return ApiError.response(e.code(), e.getMessage());
        }
    }

    /** The answer of a rotation. */
    @Serdeable
    public record KeyRotatedBody(String pool, String keyId, boolean rotated) {
    }

    /**
     * Re-reads a key's secret from its {@code secret-file}/{@code secret-env}: new leases get it at
     * once, open leases finish with theirs; the peer re-reads its own source when it folds the
     * rotation. 400 when the source cannot be read or still holds the secret in use, 404 for an
     * unknown key; nothing changed then.
     */
    @Post("/keys/{pool}/{keyId}/rotate")
    @io.micronaut.scheduling.annotation.ExecuteOn(io.micronaut.scheduling.TaskExecutors.BLOCKING)
    public HttpResponse<?> rotateKey(String pool, String keyId, @Nullable Authentication authentication) {
        HttpResponse<?> invalid = checkKeyRef(pool, keyId);
        if (invalid != null) {
            return invalid;
        }
        try {
            Reloads.RotateResult r = reloads.rotate(pool, keyId, HttpPrincipal.of(authentication));
            return HttpResponse.ok(new KeyRotatedBody(r.pool(), r.keyId(), r.changed()));
        } catch (Reloads.Refused e) {
            return ApiError.response(e.code(), e.getMessage());
        }
    }

    /** The answer of declare-dead: whether it was done, the peer's status, and what it risks. */
    @Serdeable
    public record DeclareDeadBody(String hubId, String peer, boolean declared, String peerStatus, long unitsTaken,
                                  String message) {
    }

    /**
     * Hands this hub the budget of a peer whose whole machine is unreachable, without a fence.
     * 409 when the peer is connected (nothing to declare) or already taken over.
     */
    @Post("/peer/declare-dead")
    public HttpResponse<?> declareDead(@Nullable Authentication authentication) {
        Replication replication = runtime.replication();
        if (replication == null) {
            return ApiError.response(ErrorCode.BAD_REQUEST, runtime.hubId() + " has no peer configured (quotahub.peer-id)");
        }
        Replication.DeclareDeadResult result = replication.declarePeerDead(HttpPrincipal.of(authentication));
        DeclareDeadBody body = new DeclareDeadBody(runtime.hubId(), replication.view().hubId(), result.declared(),
                result.status().name(), result.unitsTaken(), result.message());
        return result.declared() ? HttpResponse.ok(body) : HttpResponse.status(io.micronaut.http.HttpStatus.CONFLICT).body(body);
    }
}
