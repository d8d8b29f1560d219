package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;
import io.micronaut.security.annotation.Secured;
import io.quotahub.hub.metrics.Entrance;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.hub.service.AgentRegistry;
import io.quotahub.hub.service.InputBounds;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /api/v1/agents/{agentId}/heartbeat}: the HTTP twin of the NATS heartbeat. It marks
 * the agent alive and names the leases it holds, each by the handle its acquire answered
 * ({@code <lease id>.<lease secret>}); the hub keeps those of this agent whose secret matches
 * ({@link AgentRegistry#heartbeat}). An agent that stops heartbeating is dead after
 * {@code quotahub.agent-dead-after}, and the leases it last proved are reclaimed at once instead of
 * at their time-to-live. A handle with a wrong secret, or naming another agent's lease, changes
 * nothing.
 *
 * <p>Bounds as on NATS: the body is refused above {@code quotahub.max-message-bytes} before it is
 * parsed, and it may name at most {@link #maxLeases()} leases (≈ 64 bytes each: as many as a NATS
 * heartbeat of that size carries).
 */
@Secured("AGENT")
@Controller("/api/v1")
public class AgentController {

    /** Bytes per lease of a heartbeat, for the bound on how many one heartbeat may name. */
    static final int BYTES_PER_LEASE = 64;

    private final AgentRegistry agents;
    private final JsonMapper json;
    private final InputBounds bounds;
    private final GuardMetrics metrics;

    public AgentController(AgentRegistry agents, JsonMapper json, InputBounds bounds, GuardMetrics metrics) {
        this.agents = agents;
        this.json = json;
        this.bounds = bounds;
        this.metrics = metrics;
    }

    /** The most leases one heartbeat may name. */
    int maxLeases() {
        return Math.max(1, bounds.maxMessageBytes() / BYTES_PER_LEASE);
    }

    @Operation(summary = "Heartbeat", description = "The agent is alive and holds the named leases (handles as acquire answered "
            + "them); silent for quotahub.agent-dead-after, its proven leases are reclaimed. Wrong secrets change nothing.")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = HeartbeatBody.class)))
    @ApiResponse(responseCode = "200", description = "recorded", content = @Content(schema = @Schema(implementation = AliveBody.class)))
    @ApiResponse(responseCode = "400", description = "malformed or above the bounds", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @Post(uri = "/agents/{agentId}/heartbeat", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> heartbeat(String agentId, @Nullable @Body byte[] raw) {
        String tooLarge = bounds.messageProblem("body", raw == null ? 0 : raw.length);
        if (tooLarge != null) {
            return rejected(RejectReason.TOO_LARGE, tooLarge);
        }
        if (agentId == null || agentId.isBlank()) {
            return rejected(RejectReason.INVALID, "agentId is missing");
        }
        String tooLong = bounds.fieldProblem("agentId", agentId);
        if (tooLong != null) {
            return rejected(RejectReason.FIELD_TOO_LONG, tooLong);
        }
        HeartbeatBody body;
        try {
            body = raw == null || raw.length == 0 ? new HeartbeatBody(List.of()) : json.readValue(raw, HeartbeatBody.class);
        } catch (IOException | RuntimeException e) {
            return rejected(RejectReason.MALFORMED, "body must be JSON like {\"leases\":[\"<leaseId as acquire answered it>\"]}");
        }
        List<String> handles = body == null || body.leases() == null ? List.of() : body.leases();
        if (handles.size() > maxLeases()) {
            return rejected(RejectReason.INVALID, "a heartbeat names at most " + maxLeases() + " leases, this one "
                    + handles.size() + "; send several");
        }
        Set<String> named = new LinkedHashSet<>();
        List<AgentRegistry.Proof> proofs = new ArrayList<>(handles.size());
        for (String h : handles) {
            if (h == null) {
                continue;
            }
            LeaseHandle handle = LeaseHandle.parse(h);
            proofs.add(new AgentRegistry.Proof(handle.leaseId(), handle.secret()));
            named.add(handle.leaseId());
        }
        boolean alive = agents.heartbeat(agentId, proofs, 0);
        Set<String> held = new HashSet<>(agents.provenLeases(agentId));
        held.retainAll(named); // only what this heartbeat named: it tells nothing of leases the caller did not prove
        return HttpResponse.ok(new AliveBody(agentId, alive, held.size(), named.size() - held.size()));
    }

    private HttpResponse<?> rejected(RejectReason reason, String message) {
        metrics.rejected(Entrance.HTTP_HEARTBEAT, reason);
        return ApiError.badRequest(message);
    }
}
