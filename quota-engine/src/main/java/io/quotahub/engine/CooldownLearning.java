package io.quotahub.engine;

/**
 * How a key's cooldown learns from the settles (docs/architecture.md, "Cooldown and circuit breaker").
 *
 * <p>A 429 that comes back while the key's last cooldown has just ended — at or after its end and
 * less than one more cooldown length later — is a relapse: the cooldown was too short, so the key
 * learns {@code growth} × that cooldown (at most the max cooldown) as the least its next cooldowns
 * without a Retry-After last. Every {@code successesToShorten} OKs in a row halve what it learned;
 * a half no longer above the ladder's first step forgets it (the plain ladder again).
 *
 * @param growth             factor of a relapse, 2–16; 0 turns learning off (the plain ladder)
 * @param successesToShorten OKs in a row that halve the learned cooldown, 1–1000
 */
public record CooldownLearning(int growth, int successesToShorten) {

    public static final CooldownLearning OFF = new CooldownLearning(0, 1);

    public CooldownLearning {
        if (growth != 0 && (growth < 2 || growth > 16)) {
            throw new IllegalArgumentException("growth must be 0 (off) or between 2 and 16, was " + growth);
        }
        if (successesToShorten < 1 || successesToShorten > 1000) {
            throw new IllegalArgumentException("successesToShorten must be between 1 and 1000, was " + successesToShorten);
        }
    }

    /** Doubles on a relapse, halves after 5 OKs in a row. */
    public static CooldownLearning ofDefaults() {
        return new CooldownLearning(2, 5);
    }

    public boolean enabled() {
        return growth > 0;
    }
}
