package io.quotahub.hub.config;

import io.quotahub.engine.PoolSpec;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pools a hub serves, mapped from {@code quotahub.pools}: engine specs (ids and limits
 * only), the keys' secrets, and the problems found while reading them (keys left out).
 *
 * @param unusablePools pools configured with keys none of which could be used
 */
public record PoolsConfig(List<PoolSpec> pools, Map<KeyRef, Secret> secrets, List<String> problems,
                          Set<String> unusablePools) {

    public PoolsConfig {
        pools = List.copyOf(pools);
        secrets = Map.copyOf(secrets);
        problems = List.copyOf(problems);
        unusablePools = Set.copyOf(unusablePools);
    }
}
