package io.quotahub.chaos.suite;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * What the clients saw, and nothing else: every lease (hub, key, lease id, when, how long the
 * agent had wanted it), every refusal, every error, every provider answer. The checker judges
 * from this record and the provider's, never from the hubs' opinion of themselves.
 */
public final class Recorder {

    /** A lease an agent got: {@code wantedSince} is when the agent began wanting it. */
    public record LeaseRec(String agent, String side, String pool, String hub, String keyId, String leaseId,
            long wantedSince, long at) {
        public long waitNanos() {
            return at - wantedSince;
        }
    }

    /** A refusal (with the hub's code and retry time) or an error the agent got instead of a lease. */
    public record Miss(String agent, String pool, long at, String kind, String code, long retryAfterMs, long latencyNanos) {
    }

    /** A provider answer to an agent's call. */
    public record CallRec(String agent, String keyId, long at, int status) {
    }

    /** How an agent settled a lease: the outcome and tokens it reported (recorded before it sends them). */
    public record SettleRec(String agent, String pool, String leaseId, String outcome, long tokens, long at) {
    }

    /** A span of wanting without a lease (from wantedSince to the lease, or to the end). */
    public record Want(String agent, String side, String pool, long from, long to, boolean ended) {
    }

    private final List<LeaseRec> leases = new CopyOnWriteArrayList<>();
    private final List<Miss> misses = new CopyOnWriteArrayList<>();
    private final List<CallRec> calls = new CopyOnWriteArrayList<>();
    private final List<Want> openWants = new CopyOnWriteArrayList<>();
    private final List<SettleRec> settles = new CopyOnWriteArrayList<>();

    public void lease(LeaseRec r) {
        leases.add(r);
    }

    public void miss(Miss m) {
        misses.add(m);
    }

    public void call(CallRec c) {
        calls.add(c);
    }

    public void settle(SettleRec s) {
        settles.add(s);
    }

    /** An agent stopped while still wanting a lease. */
    public void unmetWant(Want w) {
        openWants.add(w);
    }

    public List<LeaseRec> leases(Predicate<LeaseRec> p) {
        return leases.stream().filter(p).toList();
    }

    public List<LeaseRec> leases() {
        return List.copyOf(leases);
    }

    public List<Miss> misses(Predicate<Miss> p) {
        return misses.stream().filter(p).toList();
    }

    public List<SettleRec> settles(Predicate<SettleRec> p) {
        return settles.stream().filter(p).toList();
    }

    public List<CallRec> calls(Predicate<CallRec> p) {
        return calls.stream().filter(p).toList();
    }

    /** Every span of wanting (met by a lease or not) that overlaps [from, to]. */
    public List<Want> wants(String pool, long from, long to) {
        List<Want> out = new ArrayList<>();
        for (LeaseRec l : leases) {
            if (l.pool().equals(pool) && l.at() >= from && l.wantedSince() <= to) {
                out.add(new Want(l.agent(), l.side(), pool, l.wantedSince(), l.at(), true));
            }
        }
        for (Want w : openWants) {
            if (w.pool().equals(pool) && w.to() >= from && w.from() <= to) {
                out.add(w);
            }
        }
        return out;
    }
}
