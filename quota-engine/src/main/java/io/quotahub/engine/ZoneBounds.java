package io.quotahub.engine;

/**
 * The temperatures (0–100) at which each zone above {@link Zone#OPTIMAL} begins
 * (docs/architecture.md, "Thermal state"); strictly ascending.
 *
 * @param nominal   start of NOMINAL (default 40)
 * @param elevated  start of ELEVATED (default 60)
 * @param critical  start of CRITICAL (default 80)
 * @param throttled start of THROTTLED by temperature alone (default 95)
 */
public record ZoneBounds(double nominal, double elevated, double critical, double throttled) {

    public static final ZoneBounds DEFAULTS = new ZoneBounds(40, 60, 80, 95);

    public ZoneBounds {
        if (!(0 < nominal && nominal < elevated && elevated < critical && critical < throttled && throttled <= 100)) {
            throw new IllegalArgumentException("zone bounds must ascend strictly within (0, 100], were "
                    + nominal + ", " + elevated + ", " + critical + ", " + throttled);
        }
    }

    /** The zone of a temperature; THROTTLED also while the throttle is on or the key cools down. */
    public Zone zoneOf(double temperature, boolean throttled, boolean coolingDown) {
        if (throttled || coolingDown || temperature >= this.throttled) {
            return Zone.THROTTLED;
        }
        if (temperature >= critical) {
            return Zone.CRITICAL;
        }
        if (temperature >= elevated) {
            return Zone.ELEVATED;
        }
        return temperature >= nominal ? Zone.NOMINAL : Zone.OPTIMAL;
    }

    /** The lower bound of the zone a temperature is in; -1 in OPTIMAL. */
    public double lowerBoundOf(double temperature) {
        return temperature >= throttled ? throttled : temperature >= critical ? critical
                : temperature >= elevated ? elevated : temperature >= nominal ? nominal : -1;
    }
}
