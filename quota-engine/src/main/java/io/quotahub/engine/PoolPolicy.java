package io.quotahub.engine;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What one agent may do in a pool, so that no agent (buggy or hostile) can break a limit or
 * starve the others. Every setting is off by default except the settle bound.
 *
 * @param maxTokensPerCall      the most tokens one settle may report; 0: 4 x the pool's largest token limit
 * @param maxOpenLeasesPerAgent leases one agent may hold unsettled at once in this pool; 0: no cap
 * @param maxSharePerAgent      fraction (0–1] of any limit's capacity one agent may hold unsettled at
 *                              once (at least one call's worth); 0: no cap
 * @param highPriorityAgents    agent ids (a {@code *} matches any run of characters) that may ask
 *                              for HIGH priority; any other agent's HIGH is taken as NORMAL
 */
public record PoolPolicy(long maxTokensPerCall, int maxOpenLeasesPerAgent, double maxSharePerAgent,
                         List<String> highPriorityAgents) {

    private static final PoolPolicy DEFAULTS = new PoolPolicy(0, 0, 0, List.of());

    public PoolPolicy {
        if (maxTokensPerCall < 0 || maxTokensPerCall > LimitSpec.MAX_CAPACITY) {
            throw new IllegalArgumentException("maxTokensPerCall must be between 0 and " + LimitSpec.MAX_CAPACITY
                    + " (0: 4 x the largest token limit), was " + maxTokensPerCall);
        }
        if (maxOpenLeasesPerAgent < 0) {
            throw new IllegalArgumentException("maxOpenLeasesPerAgent must be >= 0 (0: no cap), was " + maxOpenLeasesPerAgent);
        }
        if (!(maxSharePerAgent >= 0 && maxSharePerAgent <= 1)) {
            throw new IllegalArgumentException("maxSharePerAgent must be between 0 (off) and 1, was " + maxSharePerAgent);
        }
        highPriorityAgents = List.copyOf(Objects.requireNonNull(highPriorityAgents, "highPriorityAgents"));
        for (String pattern : highPriorityAgents) {
            if (pattern == null || pattern.isBlank()) {
                throw new IllegalArgumentException("highPriorityAgents must not hold a blank entry");
            }
        }
    }

    public static PoolPolicy ofDefaults() {
        return DEFAULTS;
    }

    /** Whether {@code agentId} may ask for HIGH priority in this pool. */
    public boolean mayUseHighPriority(String agentId) {
        if (agentId == null) {
            return false;
        }
        for (String pattern : highPriorityAgents) {
            if (matches(pattern, agentId)) {
                return true;
            }
        }
        return false;
    }

    /** {@code *} matches any run of characters; everything else literally. */
    static boolean matches(String pattern, String id) {
        if (pattern.indexOf('*') < 0) {
            return pattern.equals(id);
        }
        StringBuilder regex = new StringBuilder();
        String[] parts = pattern.split("\\*", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                regex.append(".*");
            }
            if (!parts[i].isEmpty()) {
                regex.append(Pattern.quote(parts[i]));
            }
        }
        return Pattern.matches(regex.toString(), id);
    }
}
