package io.quotahub.engine.internal;

import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;

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
     * Bump on any change of the layout: snapshots older than {@link #OLDEST_READABLE} are then
     * refused (a full replay follows).
     * 2: open leases carry their holder digest; lease ids may end in a random suffix.
     * 3: open leases carry their principal.
     * 4: each key carries its external use booked and its observed provider limits (a version-3
     *    state reads as none of either).
     */
    public static final int VERSION = 4;
    /** The oldest format this engine still reads (3: without external use and observed limits). */
    static final int OLDEST_READABLE = 3;
    static final int MAX_COUNT = 1 << 26;

    private EngineState() {
    }

    /**
     * What decides whether a snapshot fits this engine: hub, budget shares, pools (with their
     * policy: settle bound, fair share), keys, limits, margins, lease TTL, cooldown (with the max
     * cooldown) and thermal settings (secrets are not part of the engine config).
     */
    static String fingerprint(EngineConfig c) {
        StringBuilder b = new StringBuilder();
        b.append(c.hubId()).append('|').append(new TreeMap<>(c.budgetShares())).append('|')
                .append(c.settleMargin()).append('|').append(c.leaseTtl()).append('|')
                .append(c.cooldown()).append("|max cooldown ").append(c.cooldown().maxCooldown())
                .append('|').append(c.thermal());
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

    private static void limits(StringBuilder b, java.util.List<LimitSpec> limits) {
        for (LimitSpec l : limits) {
            b.append(' ').append(l.kind()).append(':').append(l.capacity()).append('/').append(l.per())
                    .append('@').append(l.calendarDayZone());
        }
    }
}
