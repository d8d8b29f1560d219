package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.security.annotation.Secured;
import io.micronaut.serde.annotation.Serdeable;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.config.ConfigAgreement;

/** {@code GET /api/v1/config}: which pools this hub runs, which its peer announces, and whether they agree. */
@Secured("VIEWER")
@Controller("/api/v1")
public class ConfigController {

    private final HubRuntime runtime;
    private final ConfigAgreement agreement;
    private final QuotaEngine engine;

    public ConfigController(HubRuntime runtime, ConfigAgreement agreement, QuotaEngine engine) {
        this.runtime = runtime;
        this.agreement = agreement;
        this.engine = engine;
    }

    /**
     * @param peerVersion   null until the peer announced its configuration
     * @param agree         false when the peer announced another digest (a diagnostics FAIL and an alert)
     * @param holdingRaises true while the extra room of a raised limit waits for the peer to fold the reload
     */
    @Serdeable
    public record ConfigBody(String hubId, long version, String digest, @Nullable Long peerVersion, @Nullable String peerDigest,
                             boolean agree, boolean holdingRaises) {
    }

    @Get("/config")
    public ConfigBody config() {
        ConfigAgreement.Announced own = agreement.own();
        ConfigAgreement.Announced peer = agreement.peer();
        return new ConfigBody(runtime.hubId(), own.version(), own.digest(), peer == null ? null : peer.version(),
                peer == null ? null : peer.digest(), !agreement.mismatch(), engine.holdingRaises());
    }
}
