package io.quotahub.chaos.nemesis;

/** Faults made by hand, for tests of what reads them (the report's timeline). */
public final class TestFaults {

    private TestFaults() {
    }

    /** A fault injected at {@code injectedAt} and healed at {@code healedAt} (-1: never healed). */
    public static Fault fault(FaultKind kind, String side, long injectedAt, long healedAt) {
        Fault f = new Fault(kind, side, injectedAt);
        if (healedAt >= 0) {
            f.healing(healedAt);
            f.healed(healedAt);
        }
        return f;
    }
}
