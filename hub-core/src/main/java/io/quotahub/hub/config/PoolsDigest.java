package io.quotahub.hub.config;

import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A short SHA-256 of the pools as the engine sees them: pool names, presets, key ids, limits,
 * concurrency caps, learn-limits (both hubs must fold observed limits alike), modes, fallback pools
 * and blocks, in configuration order. Secrets never enter it (the engine specs hold none), so two
 * hubs can compare it openly (announcements, {@code ConfigApplied} in the ledger): equal digests
 * mean the same pools.
 */
public final class PoolsDigest {

    private PoolsDigest() {
    }

    public static String of(List<PoolSpec> pools) {
        StringBuilder canonical = new StringBuilder();
        for (PoolSpec p : pools) {
            canonical.append("pool ").append(p.name()).append(' ').append(p.preset()).append(" mc=").append(p.maxConcurrent())
                    // each only when set, so the digest of a pool without it is what it was before the setting existed
                    .append(p.learnLimits() ? " learns limits" : "")
                    // both hubs must route, shadow and size blocks alike
                    .append(p.enforcement().enforcesAll() ? "" : " mode " + p.enforcement().describe())
                    .append(p.fallback().isEmpty() ? "" : " fallback " + p.fallback())
                    .append(p.blocks().enabled() ? " blocks " + p.blocks().maxCalls() + " for " + p.blocks().expiry() : "");
            limits(canonical, p.limits());
            canonical.append('\n');
            for (KeySpec k : p.keys()) {
                canonical.append(" key ").append(k.id()).append(" mc=").append(k.maxConcurrent());
                limits(canonical, k.limits());
                canonical.append('\n');
            }
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void limits(StringBuilder sb, List<LimitSpec> limits) {
        for (LimitSpec l : limits) {
            sb.append(" [").append(l.describe())
                    .append(l.enforcement().enforcesAll() ? "" : " " + l.enforcement().describe()).append(']');
        }
    }
}
