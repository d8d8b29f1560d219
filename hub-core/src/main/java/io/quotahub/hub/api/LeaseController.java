package io.quotahub.hub.api;

import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.Priority;
import io.micrometer.core.instrument.MeterRegistry;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.metrics.AcquireLatency;
import io.quotahub.hub.service.AcquireCommand;
import io.quotahub.hub.service.AcquireOutcome;
import io.quotahub.hub.service.AcquireService;
import io.quotahub.hub.service.SettleCommand;
import io.quotahub.hub.service.SettleOutcome;
import io.quotahub.hub.service.SettleService;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP mirror of the NATS API, for the dashboard and clients in other languages. Bodies are
 * parsed here (not by the framework) so every malformed input gets the same clear JSON error.
 */
@Controller("/api/v1")
public class LeaseController {

    private final AcquireService acquire;
    private final SettleService settle;
    private final JsonMapper json;
    private final AcquireLatency latency;

    public LeaseController(AcquireService acquire, SettleService settle, JsonMapper json, MeterRegistry registry,
                           HubSettings settings) {
        this.acquire = acquire;
        this.settle = settle;
        this.json = json;
        this.latency = new AcquireLatency(registry, settings.hubId(), AcquireLatency.HTTP);
    }

    @Post(uri = "/acquire", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<?>> acquire(@Body byte[] raw) {
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<?>> response = decide(raw);
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

    private CompletableFuture<HttpResponse<?>> decide(byte[] raw) {
        AcquireBody body;
        try {
            body = json.readValue(raw, AcquireBody.class);
        } catch (IOException | RuntimeException e) {
            return done(ApiError.badRequest("body must be JSON like {\"pool\":\"demo\",\"tokens\":100,\"priority\":\"NORMAL\",\"agentId\":\"curl\"}"));
        }
        if (body == null) {
            return done(ApiError.badRequest("body is empty"));
        }
        Priority priority;
        try {
            priority = body.priority() == null ? Priority.NORMAL : Priority.valueOf(body.priority().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return done(ApiError.badRequest("priority must be one of LOW, NORMAL, HIGH, was '" + body.priority() + "'"));
        }
        if (body.tokens() == null) {
            return done(ApiError.badRequest("tokens is missing (the estimate to reserve, > 0)"));
        }
        String requestId = body.requestId() == null ? UUID.randomUUID().toString() : body.requestId();
        String agentId = body.agentId() == null ? "http" : body.agentId();
        AcquireCommand cmd = new AcquireCommand(requestId, agentId, body.pool(), body.tokens(), priority, null);
        return acquire.acquire(cmd).thenApply(LeaseController::toResponse);
    }

    private static HttpResponse<?> toResponse(AcquireOutcome outcome) {
        if (outcome instanceof AcquireOutcome.Granted g) {
            var lease = g.lease();
            return HttpResponse.ok(new LeaseBody(lease.leaseId(), lease.hubId(), lease.pool(), lease.keyId(),
                    g.secret().reveal(), lease.tokens(), lease.expiresAt().toString()));
        }
        if (outcome instanceof AcquireOutcome.Refused r) {
            var refusal = r.refusal();
            long ms = Math.max(1, refusal.retryAfter().toMillis());
            return HttpResponse.status(io.micronaut.http.HttpStatus.TOO_MANY_REQUESTS)
                    .header(HttpHeaders.RETRY_AFTER, Long.toString((ms + 999) / 1000))
                    .body(new RefusalBody("quota_exhausted", refusal.code().name(), refusal.message(), ms,
                            refusal.pool(), refusal.keyId(), refusal.limit()));
        }
        AcquireOutcome.Failed f = (AcquireOutcome.Failed) outcome;
        return ApiError.response(f.code(), f.message());
    }

    @Post(uri = "/leases/{leaseId}/complete", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<?>> complete(String leaseId, @Body byte[] raw) {
        CompleteBody body;
        try {
            body = json.readValue(raw, CompleteBody.class);
        } catch (IOException | RuntimeException e) {
            return done(ApiError.badRequest("body must be JSON like {\"tokensUsed\":120,\"outcome\":\"OK\"}"));
        }
        if (body == null || body.tokensUsed() == null) {
            return done(ApiError.badRequest("tokensUsed is missing"));
        }
        Outcome outcome;
        try {
            outcome = body.outcome() == null ? Outcome.OK : Outcome.valueOf(body.outcome().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            outcome = null;
        }
        if (outcome == null || outcome == Outcome.EXPIRED) {
            return done(ApiError.badRequest("outcome must be one of OK, RATE_LIMITED, ERROR, AUTH_FAILED, was '" + body.outcome() + "'"));
        }
        Duration retryAfter = Duration.ofMillis(body.retryAfterMs() == null ? 0 : body.retryAfterMs());
        SettleCommand cmd = new SettleCommand(UUID.randomUUID().toString(), leaseId, "http", body.tokensUsed(), outcome,
                retryAfter, body.detail(), null);
        return settle.settle(cmd).thenApply(result -> {
            if (result instanceof SettleOutcome.Settled s) {
                return HttpResponse.ok(new SettledBody(leaseId, s.firstTime()));
            }
            SettleOutcome.Failed f = (SettleOutcome.Failed) result;
            return ApiError.response(f.code(), f.message());
        });
    }

    private static CompletableFuture<HttpResponse<?>> done(HttpResponse<?> response) {
        return CompletableFuture.completedFuture(response);
    }
}
