package io.quotahub.chaos.nemesis;

/**
 * One injected fault in the timeline (epoch nanoseconds): when it was injected, when the heal
 * began and ended (e.g. after a restarted hub is ready), and when both hubs agreed again
 * (-1 if not measured or never).
 */
public final class Fault {

    private final FaultKind kind;
    private final String side;
    private final long injectedAt;
    private volatile long healStartedAt = -1;
    private volatile long healedAt = -1;
    private volatile long convergedAt = -1;
    private volatile String note = "";

    Fault(FaultKind kind, String side, long injectedAt) {
        this.kind = kind;
        this.side = side;
        this.injectedAt = injectedAt;
    }

    public FaultKind kind() {
        return kind;
    }

    /** The machine it hit ({@code main}/{@code edge}), or null for the link / both. */
    public String side() {
        return side;
    }

    public String name() {
        return kind.name().toLowerCase().replace('_', '-') + (side == null ? "" : "(" + side + ")");
    }

    public long injectedAt() {
        return injectedAt;
    }

    public long healStartedAt() {
        return healStartedAt;
    }

    public long healedAt() {
        return healedAt;
    }

    public long convergedAt() {
        return convergedAt;
    }

    public String note() {
        return note;
    }

    void healing(long at) {
        healStartedAt = at;
    }

    void healed(long at) {
        healedAt = at;
    }

    public void converged(long at) {
        convergedAt = at;
    }

    public void note(String text) {
        note = text;
    }

    /** Time from the end of the heal until both hubs agreed, in ms (-1: never). */
    public long convergenceMillis() {
        return convergedAt < 0 || healedAt < 0 ? -1 : Math.max(0, (convergedAt - healedAt) / 1_000_000L);
    }
}
