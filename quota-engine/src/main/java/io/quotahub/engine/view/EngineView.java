package io.quotahub.engine.view;

import java.time.Instant;
import java.util.List;

/** A consistent read of the whole engine: what {@code GET /api/v1/state} and the dashboard show. */
public record EngineView(String hubId, Instant at, List<PoolView> pools, ThermalView thermal, int openLeases) {
}
