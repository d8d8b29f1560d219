package io.quotahub.chaos.checker;

import io.quotahub.chaos.provider.Limit;
import io.quotahub.chaos.provider.ProviderKey;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ProviderLogTest {

    private static final long S = 1_000_000_000L;

    private static ProviderLog log(List<ProviderLog.Call> calls) throws Exception {
        Constructor<ProviderLog> c = ProviderLog.class.getDeclaredConstructor(List.class, List.class);
        c.setAccessible(true);
        return c.newInstance(calls, List.of(new ProviderKey("k", "secret-k", List.of(Limit.requests(3, Duration.ofSeconds(10))))));
    }

    @Test
    void fillsFindTheFullestWindowByBruteForce() throws Exception {
        List<ProviderLog.Call> calls = new ArrayList<>();
        for (long t : new long[] {0, 1, 9, 15, 16, 17, 18}) {
            calls.add(new ProviderLog.Call(t * S, "k", 1, 200));
        }
        calls.add(new ProviderLog.Call(17 * S, "k", 1, 429));
        ProviderLog log = log(calls);

        ProviderLog.Fill fill = log.fills(List.of("k"), 0, 20 * S).get(0);
        // [9 s, 19 s) holds the accepted calls at 9, 15, 16, 17 and 18 s; the 429 does not count
        assertThat(fill.max()).isEqualTo(5);
        assertThat(fill.capacity()).isEqualTo(3);
        assertThat(fill.windowStart()).isEqualTo(9 * S);
    }

    @Test
    void hadRoomLooksBackOneWindow() throws Exception {
        ProviderLog log = log(List.of(new ProviderLog.Call(0, "k", 1, 200), new ProviderLog.Call(S, "k", 1, 200),
                new ProviderLog.Call(2 * S, "k", 1, 200)));
        assertThat(log.hadRoom(List.of("k"), 3 * S)).isFalse();
        assertThat(log.hadRoom(List.of("k"), 10 * S + 1)).isTrue();
        assertThat(log.rateLimited(0, 5 * S)).isZero();
    }
}
