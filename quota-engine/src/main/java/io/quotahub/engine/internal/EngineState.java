package io.quotahub.engine.internal;

import io.quotahub.engine.CooldownConfig;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.ThermalConfig;
import io.quotahub.engine.ZoneBounds;

import java.util.TreeMap;

/**
 * What identifies an engine's state (snapshots: restart = snapshot + the ledger's tail): magic,
 * format version, a fingerprint of the configuration (a snapshot is only valid for the
 * configuration that wrote it) and the end marker that catches truncation. The layout itself is
 * {@link SnapshotCodec}'s.
 */
public final class EngineState {

    static final int MAGIC = 0x51484553; // "QHES"
    static final int END = 0x454E4421;   // "END!"
    /**
     * Bump on any change of the layout; versions below {@link #OLDEST_READABLE} are refused (a full
     * replay follows).
     * 2: open leases carry their holder digest; lease ids may end in a random suffix.
     * 3: open leases carry their principal.
     * 4: key guards carry their learned cooldown, last cooldown length and OKs in a row, and the
     *    fingerprint names the cooldown learning; each key carries its external use booked and its
     *    observed provider limits. Version 3 still reads: nothing learned, booked or observed yet
     *    (what a version-3 engine had), its fingerprint without the learning.
     * 5: open leases carry their block's calls (0: a lease of one call). Versions 3 and 4 still
     *    read: every open lease is one call (blocks did not exist).
     */
    public static final int VERSION = 5;
    /** The oldest format version this engine restores. */
    static final int OLDEST_READABLE = 3;
    /**
     * The first format with the learned cooldown (key guards, fingerprint): one name for every
     * place that reads by version, so that renumbering the format moves them together.
     */
    static final int LEARNED_COOLDOWN_SINCE = 4;
    /** The first format with each key's external use and observed provider limits. */
    static final int PROVIDER_WORD_SINCE = 4;
    /** The first format whose open leases carry their block's calls. */
    static final int BLOCKS_SINCE = 5;
    static final int MAX_COUNT = 1 << 26;

    private EngineState() {
    }

    /**
     * What decides whether a snapshot fits this engine: hub, budget shares, pools (with their
     * policy: settle bound, fair share), keys, limits, margins, lease TTL, cooldown (with the max
     * cooldown) and thermal settings (secrets are not part of the engine config).
     */
    static String fingerprint(EngineConfig c) {
        return fingerprint(c, VERSION);
    }

    /** The fingerprint as format {@code version} wrote it. */
    static String fingerprint(EngineConfig c, int version) {
        StringBuilder b = new StringBuilder();
        b.append(c.hubId()).append('|').append(new TreeMap<>(c.budgetShares())).append('|')
                .append(c.settleMargin()).append('|').append(c.leaseTtl()).append('|')
                .append(cooldown(c.cooldown())).append("|max cooldown ").append(c.cooldown().maxCooldown());
        if (version >= LEARNED_COOLDOWN_SINCE) {
            b.append("|learning ").append(c.cooldown().learning().growth()).append(" after ")
                    .append(c.cooldown().learning().successesToShorten());
        }
        b.append('|').append(thermal(c.thermal()));
        for (PoolSpec p : c.pools()) {
            b.append("|pool ").append(p.name()).append(' ').append(p.preset()).append(' ').append(p.maxConcurrent())
                    .append(' ').append(p.policy()).append(" tokens per call ").append(p.maxTokensPerCall())
                    .append(p.learnLimits() ? " learns limits" : "");
            limits(b, p.limits());
            for (KeySpec k : p.keys()) {
                b.append("|key ").append(k.id()).append(' ').append(k.maxConcurrent());
                limits(b, k.limits());
            }
        }
        return b.toString();
    }

    /**
     * As versions 3 and 4 wrote the thermal settings when only the recovery window and smoothing
     * could be set; zones and a throttle point other than the defaults are added after them.
     */
    private static String thermal(ThermalConfig t) {
        String text = "ThermalConfig[recoveryWindow=" + t.recoveryWindow() + ", smoothing=" + t.smoothing() + "]";
        if (t.hasCustomZonesOrThrottle()) {
            ZoneBounds z = t.zones();
            text += " zones " + z.nominal() + "/" + z.elevated() + "/" + z.critical() + "/" + z.throttled()
                    + " throttle at " + (t.throttleAt().isPresent() ? t.throttleAt().getAsDouble() : "preset");
        }
        return text;
    }

    /** As version 3 wrote the cooldown (the record's text before it had a learning). */
    private static String cooldown(CooldownConfig c) {
        return "CooldownConfig[ladder=" + c.ladder() + ", failuresToBlock=" + c.failuresToBlock() + ", blockFor="
                + c.blockFor() + ", openFor=" + c.openFor() + ", maxCooldown=" + c.maxCooldown() + "]";
    }

    private static void limits(StringBuilder b, java.util.List<LimitSpec> limits) {
        for (LimitSpec l : limits) {
            b.append(' ').append(l.kind()).append(':').append(l.capacity()).append('/').append(l.per())
                    .append('@').append(l.calendarDayZone());
        }
    }
}
