package io.quotahub.engine;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Whether a pool, or one of its limits, is enforced: {@link Mode#ENFORCE} (the default),
 * {@link Mode#SHADOW} (never refuses; each refusal it would have made is reported with the grant)
 * or {@link Mode#CANARY} (enforced for {@code enforcePercent} % of the agents, chosen by a stable
 * hash of their id, and shadowed for the rest).
 *
 * <p>The hash ({@link #bucket}) is FNV-1a, 32 bits, over the agent id's UTF-8 bytes, taken
 * unsigned modulo 100: an agent is enforced when its bucket is below {@code enforcePercent}. It
 * depends on nothing but the id, so both hubs, every restart and every client language agree on
 * it, and raising the percentage only adds agents to the enforced share (an agent enforced at
 * 10 % is enforced at 50 %).
 *
 * @param enforcePercent the share of agents enforced: 100 for ENFORCE, 0 for SHADOW, 1–99 for CANARY
 */
public record Enforcement(Mode mode, int enforcePercent) {

    /** How a pool or limit treats a refusal it would make. */
    public enum Mode { ENFORCE, SHADOW, CANARY }

    /** Enforced for every agent (the default). */
    public static final Enforcement ENFORCED = new Enforcement(Mode.ENFORCE, 100);
    /** Enforced for no agent: would-be refusals are only reported. */
    public static final Enforcement SHADOW = new Enforcement(Mode.SHADOW, 0);

    public Enforcement {
        Objects.requireNonNull(mode, "mode");
        switch (mode) {
            case ENFORCE -> {
                if (enforcePercent != 100) {
                    throw new IllegalArgumentException("enforce-percent is 100 in mode enforce, was " + enforcePercent);
                }
            }
            case SHADOW -> {
                if (enforcePercent != 0) {
                    throw new IllegalArgumentException("enforce-percent is 0 in mode shadow, was " + enforcePercent);
                }
            }
            case CANARY -> {
                if (enforcePercent < 1 || enforcePercent > 99) {
                    throw new IllegalArgumentException("enforce-percent of mode canary must be between 1 and 99, was "
                            + enforcePercent);
                }
            }
        }
    }

    /** Enforced for {@code enforcePercent} % of the agents (1–99), shadowed for the rest. */
    public static Enforcement canary(int enforcePercent) {
        return new Enforcement(Mode.CANARY, enforcePercent);
    }

    /** Whether this enforces for every agent (no shadow at all). */
    public boolean enforcesAll() {
        return mode == Mode.ENFORCE;
    }

    /** Whether a refusal for {@code agentId} is enforced (true) or only reported (false). */
    public boolean enforcesFor(String agentId) {
        return switch (mode) {
            case ENFORCE -> true;
            case SHADOW -> false;
            case CANARY -> bucket(agentId) < enforcePercent;
        };
    }

    /** The agent's bucket, 0–99: FNV-1a (32 bits) of the id's UTF-8 bytes, unsigned, modulo 100. */
    public static int bucket(String agentId) {
        int h = 0x811c9dc5;
        for (byte b : (agentId == null ? "" : agentId).getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        return (int) (Integer.toUnsignedLong(h) % 100);
    }

    /** As configured, e.g. {@code shadow} or {@code canary 10%}. */
    public String describe() {
        return switch (mode) {
            case ENFORCE -> "enforce";
            case SHADOW -> "shadow";
            case CANARY -> "canary " + enforcePercent + "%";
        };
    }
}
