package io.quotahub.engine.view;

import java.util.List;

public record PoolView(String name, String preset, List<KeyView> keys, List<LimitView> limits, ThermalView thermal,
                       int inFlight, int maxConcurrent) {
}
