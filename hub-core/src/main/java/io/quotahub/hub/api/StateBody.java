package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.quotahub.engine.ZoneBounds;
import io.quotahub.engine.Enforcement;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.view.EngineView;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.engine.view.ThermalView;
import io.quotahub.hub.ledger.ShadowWatch;
import io.quotahub.hub.replication.PeerView;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/state}: the hub and, per pool and key, every limit's capacity, use and this
 * hub's budget, a lower limit the provider reported, thermal state, circuit and health. Key ids
 * only — never a secret.
 *
 * @param peerHttpUrl    the other hub's HTTP API (quotahub.peer-http-url), null when not configured
 * @param shadowRefusals what pools and limits in shadow or canary mode would have refused, per pool, key
 *                       and code (both hubs' grants, as this hub folded them, since it started)
 * @param zoneBounds     the temperatures at which NOMINAL, ELEVATED, CRITICAL and THROTTLED begin
 */
@Serdeable
public record StateBody(String hubId, boolean ready, @Nullable String notReadyReason, String at, @Nullable Peer peer,
                        Thermal thermal, int openLeases, List<Pool> pools, Map<String, String> agents,
                        @Nullable String peerHttpUrl, List<ShadowRefusal> shadowRefusals, List<Double> zoneBounds) {

    /**
     * Grants that a pool or limit in shadow or canary mode would have refused with {@code code}.
     *
     * @param lastHub the hub that made the latest of them
     */
    @Serdeable
    public record ShadowRefusal(String pool, String keyId, String code, @Nullable String limit, long count,
                                String lastReason, String lastAt, String lastHub) {
    }

    /** The other hub: status one of CONNECTED, SUSPECT, PARTITIONED, FENCED, DEAD. */
    @Serdeable
    public record Peer(String hubId, String status, long replicationLagMs, long lastSeenMs, long appliedSeq) {
    }

    /**
     * @param mode     {@code enforce}, {@code shadow} or {@code canary N%} (N: the share of agents enforced for)
     * @param fallback the pools tried, in order, when this one has no room
     */
    @Serdeable
    public record Pool(String name, String preset, List<Limit> limits, Thermal thermal, int inFlight, int maxConcurrent,
                       List<Key> keys, String mode, List<String> fallback) {
    }

    /**
     * @param cooldownUntil     end of the key's cooldown (429 or failure block), null when not cooling down
     * @param externalUse       units of external use (counted by the provider, granted by no hub) booked so far
     * @param cooldownMs        milliseconds of that cooldown left at {@code at}, 0 when none
     * @param nextCooldownMs    what the next 429 without a Retry-After would cool the key for (the
     *                          ladder's next step or what it learned, whichever is longer; a relapse doubles it)
     * @param learnedCooldownMs what the key learned from 429s right after its cooldowns, 0 when nothing
     */
    @Serdeable
    public record Key(String id, List<Limit> limits, Thermal thermal, String circuit, String health, int inFlight,
                      int maxConcurrent, @Nullable String cooldownUntil, boolean disabled, long granted, long refused,
                      long rateLimited, long errors, long externalUse, long cooldownMs, long nextCooldownMs,
                      long learnedCooldownMs) {
    }

    /**
     * @param per           ISO-8601 duration, e.g. PT1M
     * @param observedLimit a key's limit as its provider last reported it, when lower than the configured
     *                      {@code capacity} (null otherwise); {@code observedAt} is when the report was read
     * @param enforced      the capacity the hubs enforce: {@code capacity}, or {@code observedLimit} when
     *                      the pool learns limits
     * @param mode          {@code enforce}, {@code shadow} or {@code canary N%}: the limit's own mode
     */
    @Serdeable
    public record Limit(String kind, long capacity, String per, @Nullable String calendarDayZone, long used, long budget,
                        long remaining, @Nullable String resetAt, @Nullable Long observedLimit,
                        @Nullable String observedAt, long enforced, String mode) {
    }

    @Serdeable
    public record Thermal(String zone, double temperature, String trend, int healthScore, boolean throttled,
                          double recoveryProgress, long throttleEvents) {
    }

    /**
     * @param specs   the configured pools (their modes and fallbacks)
     * @param shadows the shadow refusals recorded
     * @param zones   where the thermal zones begin
     */
    static StateBody of(EngineView view, boolean ready, String notReadyReason, PeerView peer, Map<String, String> agents,
                        String peerHttpUrl, List<PoolSpec> specs, List<ShadowWatch.Row> shadows, ZoneBounds zones) {
        Peer peerBody = peer == null ? null : new Peer(peer.hubId(), peer.status().name(), peer.replicationLagMs(),
                peer.lastSeenMs(), peer.appliedSeq());
        Map<String, PoolSpec> byName = new HashMap<>();
        specs.forEach(p -> byName.put(p.name(), p));
        return new StateBody(view.hubId(), ready, notReadyReason, view.at().toString(), peerBody, thermal(view.thermal()),
                view.openLeases(), view.pools().stream().map(p -> pool(p, view.at(), byName.get(p.name()))).toList(), agents,
                peerHttpUrl, shadows.stream().map(r -> new ShadowRefusal(r.pool(), r.keyId(), r.code(),
                        r.limit() == null || r.limit().isEmpty() ? null : r.limit(), r.count(), r.lastReason(),
                        r.lastAt().toString(), r.lastHub())).toList(),
                List.of(zones.nominal(), zones.elevated(), zones.critical(), zones.throttled()));
    }

    private static Pool pool(PoolView p, Instant at, PoolSpec spec) {
        return new Pool(p.name(), p.preset(), limits(p.limits(), spec == null ? List.of() : spec.limits()), thermal(p.thermal()),
                p.inFlight(), p.maxConcurrent(), p.keys().stream().map(k -> key(k, at, keySpec(spec, k.id()))).toList(),
                spec == null ? Enforcement.ENFORCED.describe() : spec.enforcement().describe(),
                spec == null ? List.of() : spec.fallback());
    }

    private static List<LimitSpec> keySpec(PoolSpec spec, String keyId) {
        if (spec != null) {
            for (KeySpec k : spec.keys()) {
                if (k.id().equals(keyId)) {
                    return k.limits();
                }
            }
        }
        return List.of();
    }

    private static Key key(KeyView k, Instant at, List<LimitSpec> specs) {
        long left = k.cooldownUntil() == null ? 0 : Math.max(0, Duration.between(at, k.cooldownUntil()).toMillis());
        return new Key(k.id(), limits(k.limits(), specs), thermal(k.thermal()), k.circuit().name(), k.health().name(),
                k.inFlight(), k.maxConcurrent(), text(k.cooldownUntil()), k.disabled(), k.granted(), k.refused(),
                k.rateLimited(), k.errors(), k.externalBooked(), left, k.nextCooldown().toMillis(),
                k.learnedCooldown().toMillis());
    }

    /** The views with the mode of the spec at the same index (the engine keeps the configured order). */
    private static List<Limit> limits(List<LimitView> limits, List<LimitSpec> specs) {
        List<Limit> out = new java.util.ArrayList<>(limits.size());
        for (int i = 0; i < limits.size(); i++) {
            LimitView l = limits.get(i);
            String mode = (i < specs.size() ? specs.get(i).enforcement() : Enforcement.ENFORCED).describe();
            out.add(new Limit(l.kind().label(), l.capacity(), l.per().toString(), l.calendarDayZone(), l.used(), l.budget(),
                    l.remaining(), text(l.resetAt()), l.observedLimit(), text(l.observedAt()), l.enforced(), mode));
        }
        return out;
    }

    private static Thermal thermal(ThermalView t) {
        return new Thermal(t.zone().name(), Math.round(t.temperature() * 10) / 10.0, t.trend().name(), t.healthScore(),
                t.throttled(), Math.round(t.recoveryProgress() * 100) / 100.0, t.throttleEvents());
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
