package io.quotahub.engine;

/**
 * Named tunings of a pool: how hard bursts are cut and where thermal throttling starts.
 *
 * <p>Burst protection caps the requests of a key in any {@link #BURST_INTERVAL_SECONDS}-second
 * interval at {@code burstFactor} times the even share of its tightest request limit (for 60 RPM
 * and factor 1.0: at most 10 requests in any 10 s). A factor of 0 turns it off.
 */
public enum Preset {
    CONSERVATIVE(1.0, 0.90),
    STANDARD(2.0, 0.95),
    AGGRESSIVE(4.0, 0.98),
    PREMIUM(0.0, 0.95);

    public static final int BURST_INTERVAL_SECONDS = 10;

    private final double burstFactor;
    private final double throttleAt;

    Preset(double burstFactor, double throttleAt) {
        this.burstFactor = burstFactor;
        this.throttleAt = throttleAt;
    }

    /** Multiple of a limit's even share allowed in a burst interval; 0 = no burst protection. */
    public double burstFactor() {
        return burstFactor;
    }

    /** Utilisation (0–1) at which a key is throttled. */
    public double throttleAt() {
        return throttleAt;
    }
}
