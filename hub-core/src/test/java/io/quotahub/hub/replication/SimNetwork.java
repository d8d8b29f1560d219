package io.quotahub.hub.replication;

import io.quotahub.hub.ledger.InMemoryLedger;
import io.quotahub.hub.ledger.StoredBatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The network between the two machines, as the hubs see it (docs/architecture.md, "Topology"):
 * <ul>
 *   <li>each machine's NATS server keeps a copy of the peer's ledger (the sourced stream): batches
 *       arrive in order, each after a random delay, while the leafnode is up; during a split the copy
 *       stops and after the heal the backlog arrives, still in order;</li>
 *   <li>core NATS messages (announcements, demand) arrive after a random delay, so out of order, and
 *       some are lost; a message in flight when the link is cut is lost;</li>
 *   <li>the peer's server answers management calls (last sequence, fence) unless the link is cut or
 *       that server is down.</li>
 * </ul>
 * A hub process consumes its machine's copy itself ({@link SimHub}); the copy outlives the process.
 */
final class SimNetwork {

    /** How the network behaves. Delays are upper bounds of uniform draws. */
    record Params(int copyDelayMs, int slowCopyDelayMs, double slowCopyRate, int messageDelayMs, double dropRate) {

        static Params ofDefaults() {
            return new Params(120, 1500, 0.05, 200, 0.03);
        }
    }

    /** A hub announcing itself on qh.v1.hubs. */
    record Announcement(String hubId, boolean ready, boolean stopping) {
    }

    /** A hub's demand on qh.v1.demand. */
    record DemandMessage(io.quotahub.proto.Demand demand) {
    }

    private record InFlight(long at, long order, String from, String to, Object payload) {
    }

    /** The copy of {@code source} kept on the other machine's server. */
    private static final class Copy {
        final InMemoryLedger source;
        final List<StoredBatch> batches = new ArrayList<>();
        final ArrayDeque<Long> arrivals = new ArrayDeque<>();
        long lastArrival;

        Copy(InMemoryLedger source) {
            this.source = source;
        }
    }

    private final Random rnd;
    private final Params params;
    private final Map<String, Copy> copyOnServerOf = new HashMap<>();
    private final Map<String, InMemoryLedger> ledgers = new HashMap<>();
    private final Map<String, Long> lastSeqAtStepStart = new HashMap<>();
    private final Map<String, SimHub> hubs = new HashMap<>();
    private final Set<String> serversDown = new HashSet<>();
    private final List<InFlight> messages = new ArrayList<>();
    private final Map<String, Long> mutedUntil = new HashMap<>();
    private long order;
    private boolean split;
    private long now;

    SimNetwork(Random rnd, Params params) {
        this.rnd = rnd;
        this.params = params;
    }

    void connect(SimHub a, SimHub b) {
        hubs.put(a.id, a);
        hubs.put(b.id, b);
        ledgers.put(a.id, a.store);
        ledgers.put(b.id, b.store);
        copyOnServerOf.put(a.id, new Copy(b.store));
        copyOnServerOf.put(b.id, new Copy(a.store));
    }

    /** Can a request or message from machine {@code a} reach machine {@code b}'s server? */
    boolean reachable(String a, String b) {
        if (serversDown.contains(a) || serversDown.contains(b)) {
            return false;
        }
        return a.equals(b) || !split;
    }

    boolean split() {
        return split;
    }

    void split(boolean cut) {
        this.split = cut;
        if (cut) {
            dropUnreachable();
        }
    }

    boolean serverDown(String hub) {
        return serversDown.contains(hub);
    }

    void serverDown(String hub, boolean down) {
        if (down) {
            serversDown.add(hub);
            dropUnreachable();
        } else {
            serversDown.remove(hub);
        }
    }

    private void dropUnreachable() {
        messages.removeIf(m -> !reachable(m.from, m.to));
        for (var e : copyOnServerOf.entrySet()) {
            String to = e.getKey();
            String from = peerOf(to);
            if (!reachable(from, to)) {
                e.getValue().arrivals.clear(); // in transit when the link went: sent again after the heal
            }
        }
    }

    private String peerOf(String hub) {
        for (String h : hubs.keySet()) {
            if (!h.equals(hub)) {
                return h;
            }
        }
        throw new IllegalStateException("no peer of " + hub);
    }

    /** The copy of the peer's ledger on {@code hub}'s server, as stored now. */
    List<StoredBatch> copyOnServerOf(String hub) {
        return copyOnServerOf.get(hub).batches;
    }

    void beginStep(long nowMillis) {
        this.now = nowMillis;
        for (var e : ledgers.entrySet()) {
            lastSeqAtStepStart.put(e.getKey(), e.getValue().lastSeq());
        }
    }

    /** Moves copies forward and delivers the messages due. */
    void pump() {
        for (var e : copyOnServerOf.entrySet()) {
            String to = e.getKey();
            Copy copy = e.getValue();
            if (!reachable(peerOf(to), to)) {
                continue;
            }
            long scheduled = copy.batches.size() + copy.arrivals.size();
            long last = copy.source.lastSeq();
            while (scheduled < last) {
                long delay = rnd.nextDouble() < params.slowCopyRate
                        ? rnd.nextInt(params.slowCopyDelayMs + 1) : rnd.nextInt(params.copyDelayMs + 1);
                copy.lastArrival = Math.max(copy.lastArrival, now + delay);
                copy.arrivals.add(copy.lastArrival);
                scheduled++;
            }
            int due = 0;
            for (long at : copy.arrivals) {
                if (at > now) {
                    break;
                }
                due++;
            }
            if (due > 0) {
                List<StoredBatch> next = copy.source.batchesFrom(copy.batches.size() + 1L);
                copy.batches.addAll(next.subList(0, due));
                for (int i = 0; i < due; i++) {
                    copy.arrivals.poll();
                }
            }
        }
        if (!messages.isEmpty()) {
            messages.sort(Comparator.comparingLong(InFlight::at).thenComparingLong(InFlight::order));
            List<InFlight> due = new ArrayList<>();
            while (!messages.isEmpty() && messages.get(0).at <= now) {
                due.add(messages.remove(0));
            }
            for (InFlight m : due) {
                if (reachable(m.from, m.to)) {
                    hubs.get(m.to).receive(m.payload);
                }
            }
        }
    }

    /** Core NATS publish from hub {@code from} to its peer: delayed, maybe lost, never across a cut. */
    void send(String from, String to, Object payload) {
        if (!reachable(from, to) || rnd.nextDouble() < params.dropRate || now < mutedUntil.getOrDefault(from + ">" + to, 0L)) {
            return;
        }
        messages.add(new InFlight(now + rnd.nextInt(params.messageDelayMs + 1), order++, from, to, payload));
    }

    /**
     * Loses every core NATS message (announcements, demand) from {@code from} to {@code to} in flight
     * or sent in the next {@code millis}; the ledger copies and the management calls are not affected.
     */
    void muteMessages(String from, String to, long millis) {
        mutedUntil.put(from + ">" + to, now + millis);
        messages.removeIf(m -> m.from.equals(from) && m.to.equals(to));
    }

    /** Nothing of the ledgers is still on its way to a copy. */
    boolean copiesCaughtUp() {
        for (var e : copyOnServerOf.values()) {
            if (e.batches.size() < e.source.lastSeq()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The last sequence of {@code hub}'s ledger as its server reports it: the answer may have been
     * read a moment before the appends of this instant (the request crossed the network).
     */
    long reportedLastSeq(String hub) {
        return rnd.nextBoolean() ? lastSeqAtStepStart.get(hub) : ledgers.get(hub).lastSeq();
    }

    InMemoryLedger ledgerOf(String hub) {
        return ledgers.get(hub);
    }
}
