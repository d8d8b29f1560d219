package io.quotahub.hub.api;

import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.security.annotation.Secured;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.config.HubSettings;

/**
 * {@code GET /api/v1/hubs}: which hub this is and where the other one answers, for clients given one
 * URL. Open to agents as well as viewers: an agent needs the peer's address to fail over, not the
 * state of every key that {@code /api/v1/state} shows.
 */
@Secured({"AGENT", "VIEWER"})
@Controller("/api/v1")
public class HubsController {

    private final HubRuntime runtime;
    private final HubSettings settings;

    public HubsController(HubRuntime runtime, HubSettings settings) {
        this.runtime = runtime;
        this.settings = settings;
    }

    @Get("/hubs")
    public HubsBody hubs() {
        return new HubsBody(settings.hubId(), runtime.ready(), settings.peerId(), settings.peerHttpUrl());
    }
}
