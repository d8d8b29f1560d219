package io.quotahub.engine.internal;

import io.quotahub.engine.ConfigChange;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which changes of the configuration a running engine can take (docs/architecture.md, "Changing
 * limits in flight"), and the list of what a reload changes. Pure: compares two configurations.
 *
 * <p>A reload may change capacities, max-concurrent caps, add and remove keys and pools. It may
 * not change what a window <em>is</em> (a limit's kind, length or calendar zone, the number of
 * limits of a pool or key), a pool's preset, policy or learn-limits, nor the hub's own settings
 * (shares, margin, lease TTL, cooldown, thermal): the state counted so far would mean something
 * else. Those need a restart of the hubs one at a time.
 */
public final class Reconfiguration {

    private Reconfiguration() {
    }

    /** Everything that stops {@code to} from replacing {@code from} in a running engine; empty: it can. */
    public static List<String> problems(EngineConfig from, EngineConfig to) {
        List<String> out = new ArrayList<>();
        if (!from.hubId().equals(to.hubId())) {
            out.add("the hub id changed");
        }
        if (!from.budgetShares().equals(to.budgetShares())) {
            out.add("budget shares changed");
        }
        if (!from.settleMargin().equals(to.settleMargin()) || !from.leaseTtl().equals(to.leaseTtl())
                || !from.cooldown().equals(to.cooldown()) || !from.thermal().equals(to.thermal())) {
            out.add("hub settings (settle margin, lease TTL, cooldown, thermal) changed");
        }
        Map<String, PoolSpec> before = byName(from.pools());
        for (PoolSpec next : to.pools()) {
            PoolSpec prev = before.get(next.name());
            if (prev == null) {
                continue;
            }
            String at = "pool " + next.name();
            if (prev.preset() != next.preset()) {
                out.add(at + ": preset " + prev.preset() + " -> " + next.preset());
            }
            if (!prev.policy().equals(next.policy())) {
                out.add(at + ": its per-agent policy changed");
            }
            if (prev.learnLimits() != next.learnLimits()) {
                out.add(at + ": learn-limits changed");
            }
            limits(at, prev.limits(), next.limits(), out);
            Map<String, KeySpec> keys = new HashMap<>();
            prev.keys().forEach(k -> keys.put(k.id(), k));
            for (KeySpec k : next.keys()) {
                KeySpec old = keys.get(k.id());
                if (old != null) {
                    limits(at + " key " + k.id(), old.limits(), k.limits(), out);
                }
            }
        }
        return out;
    }

    private static void limits(String at, List<LimitSpec> prev, List<LimitSpec> next, List<String> out) {
        if (prev.size() != next.size()) {
            out.add(at + ": " + prev.size() + " limits -> " + next.size() + " (a reload changes capacities, not which limits there are)");
            return;
        }
        for (int i = 0; i < prev.size(); i++) {
            LimitSpec a = prev.get(i);
            LimitSpec b = next.get(i);
            if (a.kind() != b.kind() || !a.per().equals(b.per()) || !Objects.equals(a.calendarDayZone(), b.calendarDayZone())) {
                out.add(at + ": limit " + i + " " + a.describe() + " -> " + b.describe()
                        + " (a reload changes a limit's capacity, not its kind or window)");
            }
        }
    }

    /** What replacing {@code from} by {@code to} changes (call {@link #problems} first). */
    public static ConfigChange change(EngineConfig from, EngineConfig to, boolean holding) {
        List<String> lowered = new ArrayList<>();
        List<String> raised = new ArrayList<>();
        List<String> addedPools = new ArrayList<>();
        List<String> addedKeys = new ArrayList<>();
        List<String> removedKeys = new ArrayList<>();
        List<String> policies = new ArrayList<>();
        Map<String, PoolSpec> before = byName(from.pools());
        Set<String> kept = new HashSet<>();
        for (PoolSpec next : to.pools()) {
            PoolSpec prev = before.get(next.name());
            if (prev == null) {
                addedPools.add(next.name());
                continue;
            }
            kept.add(next.name());
            capacities(next.name(), prev.limits(), next.limits(), lowered, raised);
            policies(prev, next, policies);
            Map<String, KeySpec> keys = new HashMap<>();
            prev.keys().forEach(k -> keys.put(k.id(), k));
            for (KeySpec k : next.keys()) {
                KeySpec old = keys.remove(k.id());
                if (old == null) {
                    addedKeys.add(next.name() + "/" + k.id());
                } else {
                    capacities(next.name() + "/" + k.id(), old.limits(), k.limits(), lowered, raised);
                }
            }
            prev.keys().stream().filter(k -> keys.containsKey(k.id())).forEach(k -> removedKeys.add(next.name() + "/" + k.id()));
        }
        List<String> removedPools = from.pools().stream().map(PoolSpec::name).filter(n -> !kept.contains(n)).toList();
        return new ConfigChange(lowered, raised, addedPools, removedPools, addedKeys, removedKeys, policies,
                holding && !raised.isEmpty());
    }

    /** A kept pool's mode, fallbacks, blocks and its own limits' modes, where they changed. */
    private static void policies(PoolSpec prev, PoolSpec next, List<String> out) {
        String at = next.name();
        if (!prev.enforcement().equals(next.enforcement())) {
            out.add(at + " mode " + prev.enforcement().describe() + " -> " + next.enforcement().describe());
        }
        if (!prev.fallback().equals(next.fallback())) {
            out.add(at + " fallback " + prev.fallback() + " -> " + next.fallback());
        }
        if (!prev.blocks().equals(next.blocks())) {
            out.add(at + " blocks " + blocks(prev) + " -> " + blocks(next));
        }
        for (int i = 0; i < Math.min(prev.limits().size(), next.limits().size()); i++) {
            if (!prev.limits().get(i).enforcement().equals(next.limits().get(i).enforcement())) {
                out.add(at + "#" + i + " mode " + prev.limits().get(i).enforcement().describe() + " -> "
                        + next.limits().get(i).enforcement().describe());
            }
        }
    }

    private static String blocks(PoolSpec p) {
        return p.blocks().enabled() ? p.blocks().maxCalls() + " calls for " + p.blocks().expiry() : "off";
    }

    private static void capacities(String at, List<LimitSpec> prev, List<LimitSpec> next, List<String> lowered, List<String> raised) {
        for (int i = 0; i < Math.min(prev.size(), next.size()); i++) {
            long a = prev.get(i).capacity();
            long b = next.get(i).capacity();
            if (a != b) {
                (b < a ? lowered : raised).add(at + "#" + i + " " + a + " -> " + b);
            }
        }
    }

    private static Map<String, PoolSpec> byName(List<PoolSpec> pools) {
        Map<String, PoolSpec> out = new HashMap<>();
        pools.forEach(p -> out.put(p.name(), p));
        return out;
    }
}
