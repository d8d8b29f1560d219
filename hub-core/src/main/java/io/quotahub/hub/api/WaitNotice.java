package io.quotahub.hub.api;

import io.quotahub.hub.service.AcquireOutcome;

import java.time.Duration;

/** The notice a waiting acquire's answer carries when its {@code maxWaitMs} was clamped to the hub's bound. */
final class WaitNotice {

    private WaitNotice() {
    }

    /** The notice for a wait asked as {@code requested} and granted as {@code granted}; "" when not clamped. */
    static String clamped(Duration requested, Duration granted) {
        return requested.equals(granted) ? "" : "maxWaitMs " + requested.toMillis() + " was clamped to this hub's"
                + " quotahub.http.max-wait (" + granted.toMillis() + " ms)";
    }

    /** {@code outcome} with {@code notice} added to its own (grants and refusals carry notices). */
    static AcquireOutcome with(AcquireOutcome outcome, String notice) {
        if (notice.isEmpty()) {
            return outcome;
        }
        if (outcome instanceof AcquireOutcome.Leased g) {
            return new AcquireOutcome.Leased(g.lease(), g.secret(), g.leaseSecret(), join(g.notice(), notice), g.passedOver(),
                    g.shadow());
        }
        if (outcome instanceof AcquireOutcome.Refused r) {
            return new AcquireOutcome.Refused(r.refusal(), join(r.notice(), notice), r.tried());
        }
        return outcome;
    }

    private static String join(String first, String second) {
        return first.isEmpty() ? second : first + "; " + second;
    }
}
