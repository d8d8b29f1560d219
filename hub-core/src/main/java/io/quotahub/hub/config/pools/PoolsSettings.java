package io.quotahub.hub.config.pools;

import java.util.List;

/**
 * The whole {@code quotahub.pools} section, typed: made only by {@link PoolsBinder#bind}, so every
 * value in it has been checked and every duration parsed. The secrets are not in it (only where
 * they come from); reading them is a separate step.
 */
public record PoolsSettings(List<PoolSettings> pools) {

    public PoolsSettings {
        pools = List.copyOf(pools);
    }
}
