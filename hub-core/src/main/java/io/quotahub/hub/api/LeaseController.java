package io.quotahub.hub.api;

import io.micronaut.security.annotation.Secured;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.security.authentication.Authentication;
import io.quotahub.hub.security.HttpPrincipal;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.Priority;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.metrics.AcquireLatency;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.service.AcquireCommand;
import io.quotahub.hub.service.AcquireOutcome;
import io.quotahub.hub.service.AcquireService;
import io.quotahub.hub.metrics.Entrance;
import io.quotahub.hub.service.ErrorCode;
import io.quotahub.hub.service.InputBounds;
import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.hub.service.ProviderReport;
import io.quotahub.hub.service.SettleCommand;
import io.quotahub.hub.service.SettleOutcome;
import io.quotahub.hub.service.SettleService;
import io.quotahub.hub.service.WaitingAcquire;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP mirror of the NATS API, for the dashboard and clients in other languages. Bodies are
 * parsed here (not by the framework) so every malformed input gets the same clear JSON error, and
 * a body above quotahub.max-message-bytes is refused before it is parsed.
 *
 * <p>The acquire's {@code leaseId} is the lease handle {@code <lease id>.<lease secret>}: a client
 * passes it back as given to {@code /leases/{leaseId}/complete}, which proves it holds the lease;
 * a bare lease id gets 403 and changes nothing.
 *
 * <p>The caller's principal ({@link HttpPrincipal}: its token, or {@code local}) is recorded with
 * each grant; a lease granted to a token may be completed only with that same token.
 */
@Secured("AGENT")
@Controller("/api/v1")
public class LeaseController {

    private static final String AGENT = "http";

    private final AcquireService acquire;
    private final SettleService settle;
    private final JsonMapper json;
    private final AcquireLatency latency;
    private final InputBounds bounds;
    private final GuardMetrics metrics;
    private final WaitingAcquire waiting;

    public LeaseController(AcquireService acquire, SettleService settle, JsonMapper json, MeterRegistry registry,
                           HubSettings settings, InputBounds bounds, GuardMetrics metrics, WaitingAcquire waiting) {
        this.acquire = acquire;
        this.waiting = waiting;
        this.settle = settle;
        this.json = json;
        this.bounds = bounds;
        this.metrics = metrics;
        this.latency = new AcquireLatency(registry, settings.hubId(), AcquireLatency.HTTP);
    }

    @Operation(summary = "Acquire a lease", description = "Answers a lease, or a refusal. maxWaitMs (absent or 0: answer at once) "
            + "lets the hub wait for room, at most quotahub.http.max-wait (30 s; longer asks are clamped and the notice says so). "
            + "requestId makes the acquire idempotent: a retry with the same id (also while the first still waits, also on the "
            + "other hub) never gets a second lease. 503 unavailable/fenced, 429 BUDGET_EXHAUSTED/OVERLOADED: ask the other hub. "
            + "A pool with fallback pools is served by the first of them with room when it has none within the wait (the lease's "
            + "pool says which; a 429 lists every pool tried); \"fallback\": false keeps the acquire to the pool itself.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = AcquireBody.class)))
    @ApiResponse(responseCode = "200", description = "the lease", content = @Content(schema = @Schema(implementation = LeaseBody.class)))
    @ApiResponse(responseCode = "429", description = "refused: which limit, and when to retry (also as Retry-After)",
            content = @Content(schema = @Schema(implementation = RefusalBody.class)))
    @ApiResponse(responseCode = "400", description = "bad request", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @ApiResponse(responseCode = "404", description = "unknown pool", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @ApiResponse(responseCode = "503", description = "unavailable, fenced (ask the other hub) or no usable key",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @Post(uri = "/acquire", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<?>> acquire(@Body byte[] raw, @Nullable Authentication authentication) {
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<?>> response = decide(raw, HttpPrincipal.of(authentication));
        response.whenComplete((r, error) -> {
            int status = r == null ? 500 : r.code();
            if (status == 200) {
                latency.granted(start);
            } else if (status == 429) {
                latency.refused(start);
            } else {
                latency.error(start);
            }
        });
        return response;
    }

    private CompletableFuture<HttpResponse<?>> decide(byte[] raw, String principal) {
        String tooLarge = bounds.messageProblem("body", raw == null ? 0 : raw.length);
        if (tooLarge != null) {
            return rejected(Entrance.HTTP_ACQUIRE, RejectReason.TOO_LARGE, tooLarge);
        }
        AcquireBody body;
        try {
            body = json.readValue(raw, AcquireBody.class);
        } catch (IOException | RuntimeException e) {
            return rejected(Entrance.HTTP_ACQUIRE, RejectReason.MALFORMED,
                    "body must be JSON like {\"pool\":\"demo\",\"tokens\":100,\"priority\":\"NORMAL\",\"agentId\":\"curl\"}");
        }
        if (body == null) {
            return rejected(Entrance.HTTP_ACQUIRE, RejectReason.MALFORMED, "body is empty");
        }
        Priority priority;
        try {
            priority = body.priority() == null ? Priority.NORMAL : Priority.valueOf(body.priority().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            String shown = bounds.fieldProblem("priority", body.priority()) == null ? body.priority() : "(too long)";
            return rejected(Entrance.HTTP_ACQUIRE, RejectReason.INVALID, "priority must be one of LOW, NORMAL, HIGH, was '" + shown + "'");
        }
        if (body.tokens() == null) {
            return rejected(Entrance.HTTP_ACQUIRE, RejectReason.INVALID, "tokens is missing (the estimate to reserve, > 0)");
        }
        String requestId = body.requestId() == null ? UUID.randomUUID().toString() : body.requestId();
        String agentId = body.agentId() == null ? AGENT : body.agentId();
        if (body.maxWaitMs() != null && body.maxWaitMs() < 0) {
            return rejected(Entrance.HTTP_ACQUIRE, RejectReason.INVALID, "maxWaitMs must be >= 0, was " + body.maxWaitMs());
        }
        if (body.fallback() != null && !(body.fallback() instanceof Boolean)) {
            return rejected(Entrance.HTTP_ACQUIRE, RejectReason.INVALID, "fallback must be true or false (JSON), or left out");
        }
        AcquireCommand cmd = new AcquireCommand(requestId, agentId, body.pool(), body.tokens(), priority, null, principal,
                !Boolean.FALSE.equals(body.fallback()), null);
        if (body.maxWaitMs() == null || body.maxWaitMs() == 0) {
            return acquire.acquire(cmd).thenApply(this::toResponse);
        }
        Duration wait = Duration.ofMillis(body.maxWaitMs());
        String clamped = WaitNotice.clamped(wait, waiting.clamp(wait));
        return waiting.acquire(cmd, wait).thenApply(outcome -> toResponse(WaitNotice.with(outcome, clamped)));
    }

    private HttpResponse<?> toResponse(AcquireOutcome outcome) {
        if (outcome instanceof AcquireOutcome.Leased g && g.leaseSecret() != null) {
            var lease = g.lease();
            return HttpResponse.ok(new LeaseBody(LeaseHandle.of(lease.leaseId(), g.leaseSecret().reveal()), lease.hubId(),
                    lease.pool(), lease.keyId(), g.secret().reveal(), lease.tokens(), lease.expiresAt().toString(),
                    noticeOrNull(g.notice()), g.passedOver().isEmpty() ? null : g.requestedPool(),
                    PoolRefusalBody.listOrNull(g.passedOver()), g.shadow() == null ? null : PoolRefusalBody.of(g.shadow())));
        }
        if (outcome instanceof AcquireOutcome.Leased) { // never answered: AcquireService decides such a retry anew
            return ApiError.response(ErrorCode.UNAVAILABLE, "the lease's secret is not held here; ask again with a new requestId");
        }
        if (outcome instanceof AcquireOutcome.Refused r) {
            var refusal = r.refusal();
            return tooManyRequests(new RefusalBody("quota_exhausted", refusal.code().name(), refusal.message(),
                    Math.max(1, refusal.retryAfter().toMillis()), refusal.pool(), refusal.keyId(), refusal.limit(),
                    noticeOrNull(r.notice()), PoolRefusalBody.listOrNull(r.tried())));
        }
        if (outcome instanceof AcquireOutcome.Overloaded o) {
            return tooManyRequests(new RefusalBody("overloaded", AcquireOutcome.Overloaded.CODE, o.reason(), Math.max(1, o.retryAfter().toMillis()),
                    o.pool(), null, null, null));
        }
        AcquireOutcome.Failed f = (AcquireOutcome.Failed) outcome;
        if (f.reason() != null) {
            metrics.rejected(Entrance.HTTP_ACQUIRE, f.reason());
        }
        return ApiError.response(f.code(), f.message());
    }

    private static HttpResponse<?> tooManyRequests(RefusalBody body) {
        return HttpResponse.status(HttpStatus.TOO_MANY_REQUESTS)
                .header(HttpHeaders.RETRY_AFTER, Long.toString((body.retryAfterMs() + 999) / 1000))
                .body(body);
    }

    private static String noticeOrNull(String notice) {
        return notice == null || notice.isEmpty() ? null : notice;
    }

    @Operation(summary = "Settle a lease", description = "leaseId is the handle the acquire answered (<lease id>.<lease secret>).")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = CompleteBody.class)))
    @ApiResponse(responseCode = "200", description = "settled (settled=false: it was settled before)",
            content = @Content(schema = @Schema(implementation = SettledBody.class)))
    @ApiResponse(responseCode = "400", description = "bad request", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @ApiResponse(responseCode = "403", description = "not the lease's handle", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @ApiResponse(responseCode = "404", description = "unknown lease", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @ApiResponse(responseCode = "503", description = "unavailable or fenced: ask the other hub",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @Post(uri = "/leases/{leaseId}/complete", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<?>> complete(String leaseId, @Body byte[] raw,
                                                       @Nullable Authentication authentication) {
        String tooLarge = bounds.messageProblem("body", raw == null ? 0 : raw.length);
        if (tooLarge != null) {
            return rejected(Entrance.HTTP_COMPLETE, RejectReason.TOO_LARGE, tooLarge);
        }
        CompleteBody body;
        try {
            body = json.readValue(raw, CompleteBody.class);
        } catch (IOException | RuntimeException e) {
            return rejected(Entrance.HTTP_COMPLETE, RejectReason.MALFORMED, "body must be JSON like {\"tokensUsed\":120,\"outcome\":\"OK\"}");
        }
        if (body == null || body.tokensUsed() == null) {
            return rejected(Entrance.HTTP_COMPLETE, RejectReason.INVALID, "tokensUsed is missing");
        }
        Outcome outcome;
        try {
            outcome = body.outcome() == null ? Outcome.OK : Outcome.valueOf(body.outcome().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            outcome = null;
        }
        if (outcome == null || outcome == Outcome.EXPIRED) {
            String shown = bounds.fieldProblem("outcome", body.outcome()) == null ? body.outcome() : "(too long)";
            return rejected(Entrance.HTTP_COMPLETE, RejectReason.INVALID,
                    "outcome must be one of OK, RATE_LIMITED, ERROR, AUTH_FAILED, UNKNOWN, was '" + shown + "'");
        }
        ProviderReport provider = provider(body.provider());
        if (provider == INVALID_REPORT) {
            return rejected(Entrance.HTTP_COMPLETE, RejectReason.INVALID, "provider.limits must be a list of limits like "
                    + "{\"kind\":\"REQUESTS\",\"remaining\":0,\"resetAfterMs\":360000}");
        }
        LeaseHandle handle = LeaseHandle.parse(leaseId);
        Duration retryAfter = Duration.ofMillis(body.retryAfterMs() == null ? 0 : body.retryAfterMs());
        SettleCommand cmd = new SettleCommand(UUID.randomUUID().toString(), handle.leaseId(), AGENT, body.tokensUsed(), outcome,
                retryAfter, body.detail(), null, handle.secret(), HttpPrincipal.of(authentication), provider,
                body.callDurationMs() == null ? 0 : body.callDurationMs());
        return settle.settle(cmd).thenApply(result -> {
            if (result instanceof SettleOutcome.Settled s) {
                return HttpResponse.ok(new SettledBody(handle.leaseId(), s.firstTime()));
            }
            SettleOutcome.Failed f = (SettleOutcome.Failed) result;
            if (f.reason() != null) {
                metrics.rejected(Entrance.HTTP_COMPLETE, f.reason());
            }
            String message = f.code() == ErrorCode.FORBIDDEN && handle.secret().isEmpty()
                    ? f.message() + ": complete takes the leaseId exactly as the acquire answered it (<lease id>.<lease secret>)"
                    : f.message();
            return ApiError.response(f.code(), message);
        });
    }

    private static final ProviderReport INVALID_REPORT = new ProviderReport("", java.util.List.of());

    /**
     * The JSON report as the settle path takes it (its bounds are {@code SettleService}'s); null
     * when none was sent, {@link #INVALID_REPORT} for a list holding a null. A list of more than
     * {@value ProviderReport#MAX_LIMITS} + 1 limits is cut there, refused as too long all the same.
     */
    private static ProviderReport provider(CompleteBody.Provider p) {
        if (p == null) {
            return null;
        }
        java.util.List<ProviderReport.Limit> limits = new java.util.ArrayList<>();
        if (p.limits() != null) {
            for (CompleteBody.ProviderLimit l : p.limits()) {
                if (l == null) {
                    return INVALID_REPORT;
                }
                if (limits.size() > ProviderReport.MAX_LIMITS) {
                    break;
                }
                String kind = l.kind() == null ? "" : l.kind().trim().toUpperCase(Locale.ROOT);
                limits.add(new ProviderReport.Limit(kind, l.limit(), l.remaining(), l.resetAfterMs()));
            }
        }
        return new ProviderReport(p.quotaId(), limits);
    }

    private CompletableFuture<HttpResponse<?>> rejected(Entrance entrance, RejectReason reason, String message) {
        metrics.rejected(entrance, reason);
        return CompletableFuture.completedFuture(ApiError.badRequest(message));
    }
}
