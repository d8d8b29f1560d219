package io.quotahub.engine.internal;


import io.quotahub.engine.ThermalConfig;
import io.quotahub.engine.Trend;
import io.quotahub.engine.Zone;
import io.quotahub.engine.ZoneBounds;

/**
 * Thermal state of a key or pool (docs/architecture.md, "Thermal state").
 *
 * <p>Temperature (0–100) = EWMA of 100 x utilisation, advanced once per {@link #tick}, plus the
 * heat of recent provider errors (+{@value #ERROR_HEAT} per 429/error, halving every
 * {@value #HEAT_HALF_LIFE_MILLIS} ms), capped at 100. Error heat is computed from the errors'
 * own times, so it is the same after a ledger replay.
 *
 * <p>Throttle with hysteresis: the key throttles as soon as an observed utilisation reaches the
 * preset's threshold, and recovers only after utilisation was observed below it continuously for
 * the recovery window (observations happen on every tick and decision). Trend compares the
 * temperature with the one {@value #TREND_TICKS} ticks ago (+-2 degrees).
 * Not thread-safe: the owning pool's lock guards it.
 */
final class Thermal {

    static final double ERROR_HEAT = 10;
    static final long HEAT_HALF_LIFE_MILLIS = 10_000;
    static final int TREND_TICKS = 5;
    static final double TREND_DEGREES = 2;

    private final double smoothing;
    private final long recoveryMillis;
    private final double throttleAt;
    private final ZoneBounds zones;

    private double ewma;
    private double heat;
    private long heatAt;
    private final double[] history = new double[TREND_TICKS + 1];
    private int ticks;
    private boolean throttled;
    private long belowSince = -1;
    private long throttleEvents;
    private double errorRate;

    Thermal(ThermalConfig config, double throttleAt) {
        this.smoothing = config.smoothing();
        this.recoveryMillis = Units.millis(config.recoveryWindow());
        this.throttleAt = throttleAt;
        this.zones = config.zones();
    }

    /** Advances smoothing and trend with the utilisation (0–1) sampled now. */
    void tick(double utilisation, long now) {
        ewma = smooth(ewma, 100 * utilisation, smoothing);
        history[ticks % history.length] = temperature(now);
        ticks++;
        observe(utilisation, now);
    }

    /** One EWMA step. */
    static double smooth(double previous, double sample, double weight) {
        return previous + weight * (sample - previous);
    }

    /** Throttle hysteresis. @return true if the throttle just engaged */
    boolean observe(double utilisation, long now) {
        if (utilisation >= throttleAt) {
            belowSince = -1;
            if (!throttled) {
                throttled = true;
                throttleEvents++;
                return true;
            }
            return false;
        }
        if (throttled) {
            if (belowSince < 0) {
                belowSince = now;
            }
            if (now - belowSince >= recoveryMillis) {
                throttled = false;
                belowSince = -1;
            }
        }
        return false;
    }

    /** A provider error or 429 at {@code at}: heats the key and feeds the error rate. */
    void onOutcome(boolean failure, long at) {
        errorRate = smooth(errorRate, failure ? 1 : 0, 0.2);
        if (failure) {
            heat = decayedHeat(at) + ERROR_HEAT;
            heatAt = Math.max(heatAt, at);
        }
    }

    private double decayedHeat(long now) {
        if (heat <= 0) {
            return 0;
        }
        long dt = Math.max(0, Units.sub(now, heatAt));
        return heat * Math.pow(0.5, dt / (double) HEAT_HALF_LIFE_MILLIS);
    }

    /** A lower bound of {@link #temperature} that only a {@link #tick} changes (error heat only adds). */
    double temperatureFloor() {
        return Math.max(0, Math.min(100, ewma));
    }

    /** Would {@link #observe} of this utilisation change or track anything (throttle on, or at the threshold)? */
    boolean watching(double utilisation) {
        return throttled || utilisation >= throttleAt;
    }

    /**
     * A time not later than the first millisecond after {@code now} at which decaying error heat
     * takes the temperature below the lower bound of its zone (95, 80, 60, 40 by default); MAX if it never
     * does before the next tick or error. May be early (the caller then asks again).
     */
    long zoneChangeAt(long now) {
        if (heat <= 0) {
            return Long.MAX_VALUE;
        }
        double t = temperature(now);
        double bound = zones.lowerBoundOf(t);
        if (bound < 0 || temperatureFloor() >= bound) {
            return Long.MAX_VALUE;
        }
        // ewma + heat * 0.5^((x - heatAt) / halfLife) < bound
        double x = heatAt + HEAT_HALF_LIFE_MILLIS * (Math.log(heat / (bound - ewma)) / Math.log(2));
        if (!(x < 9.0e18)) {
            return Long.MAX_VALUE;
        }
        return (long) Math.floor(x) - 1;
    }

    double temperature(long now) {
        return Math.max(0, Math.min(100, ewma + decayedHeat(now)));
    }

    Zone zone(long now, boolean coolingDown) {
        return zones.zoneOf(temperature(now), throttled, coolingDown);
    }

    Trend trend() {
        if (ticks <= 1) {
            return Trend.STABLE;
        }
        int back = Math.min(TREND_TICKS, ticks - 1);
        double latest = history[(ticks - 1) % history.length];
        double earlier = history[(ticks - 1 - back) % history.length];
        double delta = latest - earlier;
        return delta > TREND_DEGREES ? Trend.RISING : delta < -TREND_DEGREES ? Trend.FALLING : Trend.STABLE;
    }

    boolean throttled() {
        return throttled;
    }

    /** Share of the recovery window spent below the threshold while throttled (0–1). */
    double recoveryProgress(long now) {
        if (!throttled || belowSince < 0) {
            return 0;
        }
        return recoveryMillis == 0 ? 1 : Math.min(1, (now - belowSince) / (double) recoveryMillis);
    }

    long recoveryRemainingMillis(long now) {
        return belowSince < 0 ? recoveryMillis : Math.max(0, recoveryMillis - (now - belowSince));
    }

    long throttleEvents() {
        return throttleEvents;
    }

    double errorRate() {
        return errorRate;
    }

    // ---- state (snapshots: the layout is SnapshotCodec's) --------------------------------------

    record State(double ewma, double heat, long heatAt, double[] history, int ticks, boolean throttled,
                 long belowSince, long throttleEvents, double errorRate) {
    }

    int historyLength() {
        return history.length;
    }

    State state() {
        return new State(ewma, heat, heatAt, history.clone(), ticks, throttled, belowSince, throttleEvents, errorRate);
    }

    /** Restores a state the codec checked (a history of {@link #historyLength()}). */
    void restore(State s) {
        ewma = s.ewma();
        heat = s.heat();
        heatAt = s.heatAt();
        System.arraycopy(s.history(), 0, history, 0, history.length);
        ticks = s.ticks();
        throttled = s.throttled();
        belowSince = s.belowSince();
        throttleEvents = s.throttleEvents();
        errorRate = s.errorRate();
    }
}
