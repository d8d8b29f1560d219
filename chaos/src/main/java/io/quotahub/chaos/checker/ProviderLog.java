package io.quotahub.chaos.checker;

import io.quotahub.chaos.ChaosJson;
import io.quotahub.chaos.provider.Limit;
import io.quotahub.chaos.provider.ProviderKey;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The provider simulator's record of every call ({@code GET /calls}) and a brute-force check of
 * its windows: for every key and limit, the most calls (or tokens) any interval of the limit's
 * length ever held, from the accepted calls only.
 */
public final class ProviderLog {

    /** One call as the provider saw it. */
    public record Call(long at, String keyId, long tokens, int status) {
    }

    /** The fullest window of one limit of one key. */
    public record Fill(String keyId, String limit, long max, long capacity, long windowStart) {
        public double ratio() {
            return capacity == 0 ? 0 : (double) max / capacity;
        }

        public String text() {
            return max + "/" + capacity + " " + keyId + " " + limit;
        }
    }

    private final List<Call> calls;
    private final Map<String, ProviderKey> keys;
    private final Map<String, long[]> okTimes = new HashMap<>();

    private ProviderLog(List<Call> calls, List<ProviderKey> keys) {
        this.calls = calls;
        this.keys = new HashMap<>();
        keys.forEach(k -> this.keys.put(k.id(), k));
        Map<String, List<Long>> byKey = new HashMap<>();
        for (Call c : calls) {
            if (c.status() == 200 && c.keyId() != null) {
                byKey.computeIfAbsent(c.keyId(), k -> new ArrayList<>()).add(c.at());
            }
        }
        byKey.forEach((k, v) -> {
            long[] a = v.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(a);
            okTimes.put(k, a);
        });
    }

    /**
     * Fetches {@code GET /calls} from the provider.
     *
     * @throws IOException when the provider does not answer
     */
    public static ProviderLog fetch(URI provider, List<ProviderKey> keys) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(provider.resolve("/calls")).timeout(Duration.ofSeconds(30))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("GET /calls answered " + r.statusCode());
            }
            List<Call> calls = new ArrayList<>();
            for (Object o : ChaosJson.arr(ChaosJson.parse(r.body()))) {
                Map<String, Object> m = ChaosJson.obj(o);
                calls.add(new Call(ChaosJson.num(m.get("epochNanos")), (String) m.get("keyId"), ChaosJson.num(m.get("tokens")),
                        (int) ChaosJson.num(m.get("status"))));
            }
            return new ProviderLog(calls, keys);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Calls in [from, to] with the given status, on the given keys. */
    public long count(List<String> keyIds, long from, long to, int status) {
        return calls.stream().filter(c -> c.status() == status && keyIds.contains(c.keyId()) && c.at() >= from && c.at() <= to).count();
    }

    /** The times of the calls in [from, to] with the given status, on the given keys, in order. */
    public List<Long> times(List<String> keyIds, long from, long to, int status) {
        return calls.stream().filter(c -> c.status() == status && keyIds.contains(c.keyId()) && c.at() >= from && c.at() <= to)
                .map(Call::at).sorted().toList();
    }

    /** The time of the first call in [from, to] on the given keys, whatever its answer. */
    public java.util.OptionalLong firstCall(List<String> keyIds, long from, long to) {
        return calls.stream().filter(c -> keyIds.contains(c.keyId()) && c.at() >= from && c.at() <= to)
                .mapToLong(Call::at).min();
    }

    /** Every call in [from, to] answered 429, on any key. */
    public long rateLimited(long from, long to) {
        return calls.stream().filter(c -> c.status() == 429 && c.at() >= from && c.at() <= to).count();
    }

    /**
     * The fullest window of every limit of the given keys, over windows starting in [from, to].
     * Brute force: for each accepted call, count the calls (or tokens) in [its time, its time + per).
     */
    public List<Fill> fills(List<String> keyIds, long from, long to) {
        List<Fill> out = new ArrayList<>();
        for (String id : keyIds) {
            ProviderKey key = keys.get(id);
            if (key == null) {
                continue;
            }
            long[] times = okTimes.getOrDefault(id, new long[0]);
            Map<Long, Long> tokensAt = new HashMap<>();
            for (Call c : calls) {
                if (c.status() == 200 && id.equals(c.keyId())) {
                    tokensAt.merge(c.at(), c.tokens(), Long::sum);
                }
            }
            for (Limit limit : key.limits()) {
                long per = limit.per().toNanos();
                long best = 0;
                long bestStart = -1;
                int j = 0;
                long sum = 0;
                for (int i = 0; i < times.length; i++) {
                    // window [times[i], times[i] + per)
                    if (j < i) {
                        j = i;
                        sum = 0;
                    }
                    while (j < times.length && times[j] < times[i] + per) {
                        sum += weight(limit, tokensAt, times, j);
                        j++;
                    }
                    if (times[i] >= from - per && times[i] <= to && sum > best) {
                        best = sum;
                        bestStart = times[i];
                    }
                    sum -= weight(limit, tokensAt, times, i);
                }
                out.add(new Fill(id, limit.label(), best, limit.amount(), bestStart));
            }
        }
        return out;
    }

    private static long weight(Limit limit, Map<Long, Long> tokensAt, long[] times, int idx) {
        if (limit.kind() == Limit.Kind.REQUESTS) {
            return 1;
        }
        // calls at the same nanosecond share one entry: give it to the first of them
        if (idx > 0 && times[idx - 1] == times[idx]) {
            return 0;
        }
        return tokensAt.getOrDefault(times[idx], 0L);
    }

    /**
     * Whether, at time t, some key of the list still had room at the provider in every request
     * limit (fewer accepted calls than the limit in (t - per, t]).
     */
    public boolean hadRoom(List<String> keyIds, long t) {
        for (String id : keyIds) {
            ProviderKey key = keys.get(id);
            if (key == null) {
                continue;
            }
            long[] times = okTimes.getOrDefault(id, new long[0]);
            boolean room = true;
            for (Limit limit : key.limits()) {
                if (limit.kind() != Limit.Kind.REQUESTS) {
                    continue;
                }
                long per = limit.per().toNanos();
                int hi = upper(times, t);
                int lo = upper(times, t - per);
                if (hi - lo >= limit.amount()) {
                    room = false;
                }
            }
            if (room) {
                return true;
            }
        }
        return false;
    }

    /** Number of elements <= x. */
    private static int upper(long[] a, long x) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    public int size() {
        return calls.size();
    }
}
