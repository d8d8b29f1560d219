package io.quotahub.hub.api;

import io.micronaut.security.annotation.Secured;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.ledger.ShadowWatch;

import java.util.Map;
import java.util.TreeMap;

/** {@code GET /api/v1/state}: what this hub knows, for the dashboard and operators. */
@Secured("VIEWER")
@Controller("/api/v1")
public class StateController {

    private final QuotaEngine engine;
    private final HubRuntime runtime;
    private final String peerHttpUrl;
    private final ShadowWatch shadows;

    public StateController(QuotaEngine engine, HubRuntime runtime, HubSettings settings, ShadowWatch shadows) {
        this.engine = engine;
        this.runtime = runtime;
        this.peerHttpUrl = settings.peerHttpUrl();
        this.shadows = shadows;
    }

    @Get("/state")
    public StateBody state() {
        Map<String, String> agents = new TreeMap<>();
        runtime.agents().all().forEach((id, health) -> agents.put(id, health.name()));
        var replication = runtime.replication();
        return StateBody.of(engine.view(), runtime.ready(), runtime.notReadyReason(),
                replication == null ? null : replication.view(), agents, peerHttpUrl, engine.config().pools(), shadows.rows(),
                engine.config().thermal().zones());
    }
}
