package io.quotahub.hub.health;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Readiness;
import io.quotahub.hub.HubRuntime;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;
import io.micronaut.core.async.publisher.Publishers;

import java.util.LinkedHashMap;
import java.util.Map;

/** Ready when the hub can grant: NATS connected, ledger replayed, not fenced. */
@Singleton
@Readiness
public class HubReadiness implements HealthIndicator {

    private final HubRuntime runtime;

    public HubReadiness(HubRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        boolean ready = runtime.ready();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("hubId", runtime.hubId());
        String reason = runtime.notReadyReason();
        if (reason != null) {
            details.put("reason", reason);
        }
        return Publishers.just(HealthResult.builder("quotahub").status(ready ? HealthStatus.UP : HealthStatus.DOWN).details(details).build());
    }
}
