package io.quotahub.chaos.checker;

import java.util.Locale;

/**
 * The honest agents' completed calls beside a hostile agent, against the same agents and load
 * alone: the hostile agent may take its fair share, not more.
 *
 * @param alone       calls the honest agents completed without the hostile agent
 * @param underAttack calls they completed in a phase of the same length beside it
 * @param minRatio    the least share of {@code alone} they must still complete, e.g. 0.8
 */
public record HonestGoodput(long alone, long underAttack, double minRatio) {

    public HonestGoodput {
        if (alone < 0 || underAttack < 0) {
            throw new IllegalArgumentException("call counts must be >= 0, were " + alone + " and " + underAttack);
        }
        if (!(minRatio > 0 && minRatio <= 1)) {
            throw new IllegalArgumentException("minRatio must be in (0, 1], was " + minRatio);
        }
    }

    /** underAttack / alone; 0 when the baseline had no calls. */
    public double ratio() {
        return alone == 0 ? 0 : (double) underAttack / alone;
    }

    /** Whether the honest agents kept at least {@code minRatio} of their goodput (and had some to keep). */
    public boolean held() {
        return alone > 0 && ratio() >= minRatio;
    }

    /** For the report, e.g. "honest calls: 160 alone, 150 beside the hostile agent (94 %, needs ≥ 80 %)". */
    public String summary() {
        return String.format(Locale.ROOT, "honest calls: %d alone, %d beside the hostile agent (%.0f %%, needs ≥ %.0f %%)",
                alone, underAttack, ratio() * 100, minRatio * 100);
    }

    /** Why it did not hold, or null when it held. */
    public String failure() {
        if (alone == 0) {
            return "the honest agents completed no call alone: nothing to compare against";
        }
        return held() ? null : "honest goodput fell beside the hostile agent: " + summary();
    }
}
