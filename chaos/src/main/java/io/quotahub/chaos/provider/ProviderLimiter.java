package io.quotahub.chaos.provider;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The referee: strict sliding windows per key, counted at the moment a call arrives. A call is
 * admitted only if, for every limit of its key, the calls admitted in the last {@code per}
 * (the half-open interval {@code (t - per, t]}) plus this one stay within the limit. Since
 * arrivals are counted in order, checking the window that ends at each arrival checks every
 * interval of length {@code per}: no such interval ever holds more than the limit.
 * Rejected calls are not counted in any window. Thread-safe; one lock per key.
 */
public final class ProviderLimiter {

    /** HTTP-like status of a call. */
    public static final int OK = 200;
    public static final int UNAUTHORIZED = 401;
    public static final int RATE_LIMITED = 429;

    /**
     * The outcome of one call; {@code keyId} is null for an unknown secret. {@code limits}: the
     * key's limits as they stand after the call (what a provider reports in its rate-limit headers);
     * {@code refusedBy}: with {@link #RATE_LIMITED}, the limit with the longest wait.
     */
    public record Result(int status, String keyId, long tokens, Duration retryAfter, List<LimitState> limits,
                         Limit refusedBy) {
    }

    /**
     * One limit of a key at a moment: what is left of it in the window ending now, and how long
     * until the window is empty again (every call in it has left it; zero when it is empty).
     */
    public record LimitState(Limit limit, long remaining, Duration resetAfter) {
    }

    /** One entry of the call log (never carries a secret). */
    public record Call(Instant time, String keyId, long tokens, int status) {
    }

    /** Highest fill a window of one limit ever reached since the last reset. */
    public record WindowFill(String limit, long max, long capacity, long current) {
    }

    /**
     * Counters of one key. {@code externalOk}/{@code externalRefused}: calls made from outside
     * QuotaHub ({@link #external}), counted in the windows but not in the other counters.
     */
    public record KeyStats(long requests, long ok, long rateLimited, long tokensUsed, List<WindowFill> maxWindowFill,
                           long externalOk, long externalRefused) {
    }

    /** Counters of the whole provider. */
    public record Stats(long requests, long ok, long rateLimited, long unauthorized, Map<String, KeyStats> keys) {
    }

    private final Clock clock;
    private final Map<String, KeyState> bySecret = new HashMap<>();
    private final Map<String, KeyState> byId = new LinkedHashMap<>();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong rateLimited = new AtomicLong();
    private final AtomicLong unauthorized = new AtomicLong();
    private final List<Call> calls = new ArrayList<>();

    public ProviderLimiter(List<ProviderKey> keys, Clock clock) {
        this.clock = clock;
        for (ProviderKey k : keys) {
            if (byId.containsKey(k.id())) {
                throw new IllegalArgumentException("duplicate key id " + k.id());
            }
            if (bySecret.containsKey(k.secret())) {
                throw new IllegalArgumentException("keys " + bySecret.get(k.secret()).key.id() + " and " + k.id()
                        + " have the same secret");
            }
            KeyState s = new KeyState(k);
            byId.put(k.id(), s);
            bySecret.put(k.secret(), s);
        }
    }

    /** The limiter's time now (answers date their resets from it). */
    public Instant now() {
        return clock.instant();
    }

    /** Ids of the configured keys, in config order. */
    public List<String> keyIds() {
        return List.copyOf(byId.keySet());
    }

    /**
     * One call of {@code tokens} tokens with the given secret, counted at the current time.
     *
     * @throws IllegalArgumentException if tokens is negative
     */
    public Result call(String secret, long tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0, was " + tokens);
        }
        requests.incrementAndGet();
        KeyState s = secret == null ? null : bySecret.get(secret);
        if (s == null) {
            unauthorized.incrementAndGet();
            log(new Call(clock.instant(), null, tokens, UNAUTHORIZED));
            return new Result(UNAUTHORIZED, null, tokens, null, List.of(), null);
        }
        Result r = s.admit(tokens);
        (r.status() == OK ? ok : rateLimited).incrementAndGet();
        return r;
    }

    /**
     * Calls made with key {@code keyId} from outside QuotaHub (a script, a colleague): each of
     * {@code tokensPerCall} tokens is admitted when it fits, like any call, and then counts in the
     * key's windows; none is in the call log or the managed counters.
     *
     * @return how many of the calls were admitted
     * @throws IllegalArgumentException for an unknown key or a negative count
     */
    public long external(String keyId, long calls, long tokensPerCall) {
        KeyState s = byId.get(keyId);
        if (s == null) {
            throw new IllegalArgumentException("unknown key " + keyId);
        }
        if (calls < 0 || tokensPerCall < 0) {
            throw new IllegalArgumentException("calls and tokens must be >= 0");
        }
        long admitted = 0;
        for (long i = 0; i < calls; i++) {
            if (s.admitExternal(tokensPerCall)) {
                admitted++;
            }
        }
        return admitted;
    }

    /**
     * The provider changed limit {@code index} of key {@code keyId} to {@code amount} (same kind
     * and window), as an operator's reload of the hubs follows it: the calls already in the window
     * stay counted, and from now on a call is admitted only within the new amount.
     *
     * @throws IllegalArgumentException for an unknown key or limit, or an amount not above 0
     */
    public void changeLimit(String keyId, int index, long amount) {
        KeyState s = byId.get(keyId);
        if (s == null || index < 0 || index >= s.windows.length) {
            throw new IllegalArgumentException("no limit " + index + " of key " + keyId);
        }
        s.change(index, amount);
    }

    /** A copy of the call log, in arrival order per key. */
    public List<Call> calls() {
        synchronized (calls) {
            return new ArrayList<>(calls);
        }
    }

    public Stats stats() {
        Map<String, KeyStats> keys = new LinkedHashMap<>();
        for (KeyState s : byId.values()) {
            keys.put(s.key.id(), s.stats());
        }
        return new Stats(requests.get(), ok.get(), rateLimited.get(), unauthorized.get(), Collections.unmodifiableMap(keys));
    }

    /** Clears counters, the call log and the recorded maximum fills; the windows themselves keep their calls. */
    public void reset() {
        requests.set(0);
        ok.set(0);
        rateLimited.set(0);
        unauthorized.set(0);
        synchronized (calls) {
            calls.clear();
        }
        byId.values().forEach(KeyState::reset);
    }

    private void log(Call c) {
        synchronized (calls) {
            calls.add(c);
        }
    }

    private static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    private final class KeyState {
        final ProviderKey key;
        final Window[] windows;
        long requests;
        long ok;
        long rateLimited;
        long tokensUsed;
        long externalOk;
        long externalRefused;

        KeyState(ProviderKey key) {
            this.key = key;
            this.windows = key.limits().stream().map(Window::new).toArray(Window[]::new);
        }

        synchronized Result admit(long tokens) {
            Instant now = clock.instant();
            long t = nanos(now);
            requests++;
            long retryNanos = 0;
            Limit refusedBy = null;
            for (Window w : windows) {
                long wait = w.waitNanos(t, w.limit.cost(tokens));
                if (wait > retryNanos) {
                    retryNanos = wait;
                    refusedBy = w.limit;
                }
            }
            if (retryNanos > 0) {
                rateLimited++;
                log(new Call(now, key.id(), tokens, RATE_LIMITED));
                return new Result(RATE_LIMITED, key.id(), tokens, Duration.ofNanos(retryNanos), states(t), refusedBy);
            }
            for (Window w : windows) {
                w.add(t, w.limit.cost(tokens));
            }
            ok++;
            tokensUsed += tokens;
            log(new Call(now, key.id(), tokens, OK));
            return new Result(OK, key.id(), tokens, null, states(t), null);
        }

        synchronized void change(int index, long amount) {
            Limit was = windows[index].limit;
            windows[index].limit = new Limit(was.kind(), amount, was.per());
        }

        synchronized boolean admitExternal(long tokens) {
            long t = nanos(clock.instant());
            for (Window w : windows) {
                if (w.waitNanos(t, w.limit.cost(tokens)) > 0) {
                    externalRefused++;
                    return false;
                }
            }
            for (Window w : windows) {
                w.add(t, w.limit.cost(tokens));
            }
            externalOk++;
            return true;
        }

        private List<LimitState> states(long t) {
            List<LimitState> out = new ArrayList<>(windows.length);
            for (Window w : windows) {
                w.waitNanos(t, 0); // drops the calls that left the window
                long reset = w.events.isEmpty() ? 0 : Math.max(0, w.events.peekLast()[0] + w.perNanos - t);
                out.add(new LimitState(w.limit, Math.max(0, w.limit.amount() - w.sum), Duration.ofNanos(reset)));
            }
            return List.copyOf(out);
        }

        synchronized KeyStats stats() {
            List<WindowFill> fills = new ArrayList<>();
            for (Window w : windows) {
                fills.add(new WindowFill(w.limit.label(), w.maxFill, w.limit.amount(), w.sum));
            }
            return new KeyStats(requests, ok, rateLimited, tokensUsed, List.copyOf(fills), externalOk, externalRefused);
        }

        synchronized void reset() {
            requests = 0;
            ok = 0;
            rateLimited = 0;
            tokensUsed = 0;
            externalOk = 0;
            externalRefused = 0;
            for (Window w : windows) {
                w.maxFill = 0;
            }
        }
    }

    /** The admitted calls of one limit that are still inside its window. */
    private static final class Window {
        Limit limit; // its amount changes with the provider's (changeLimit), under the key's lock
        final long perNanos;
        final ArrayDeque<long[]> events = new ArrayDeque<>(); // {time, cost}
        long sum;
        long maxFill;

        Window(Limit limit) {
            this.limit = limit;
            this.perNanos = limit.per().toNanos();
        }

        /** 0 if a call costing {@code cost} fits at time t, else how long until it would fit. */
        long waitNanos(long t, long cost) {
            while (!events.isEmpty() && events.peekFirst()[0] <= t - perNanos) {
                sum -= events.pollFirst()[1];
            }
            if (sum + cost <= limit.amount()) {
                return 0;
            }
            if (cost > limit.amount()) {
                return perNanos; // can never fit; say "a whole window"
            }
            long remaining = sum;
            for (long[] e : events) {
                remaining -= e[1];
                if (remaining + cost <= limit.amount()) {
                    return Math.max(1, e[0] + perNanos - t);
                }
            }
            return perNanos;
        }

        void add(long t, long cost) {
            if (cost == 0) {
                return;
            }
            events.addLast(new long[] {t, cost});
            sum += cost;
            maxFill = Math.max(maxFill, sum);
        }
    }
}
