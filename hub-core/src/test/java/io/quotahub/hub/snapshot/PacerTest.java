package io.quotahub.hub.snapshot;

import io.quotahub.hub.ledger.BatchSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PacerTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private long now;
    private final List<Long> rests = new ArrayList<>();

    private Pacer pacer(double share) {
        return new Pacer(share, () -> now, nanos -> {
            rests.add(nanos);
            now += nanos;
        });
    }

    @Test
    void restsThreeTimesTheWorkForAQuarterOfACore() {
        Pacer p = pacer(0.25);
        now += 4 * MS;
        p.step();
        assertThat(rests).as("a slice is not done yet").isEmpty();

        now += 8 * MS; // 12 ms of work since the slice began
        p.step();
        assertThat(rests).containsExactly(36 * MS);

        now += 10 * MS; // the next slice starts after the rest
        p.step();
        assertThat(rests).containsExactly(36 * MS, 30 * MS);
    }

    @Test
    void overALongRunTheWorkGetsItsShareOfTheTime() {
        Pacer p = pacer(0.25);
        long start = now;
        long work = 0;
        for (int i = 0; i < 10_000; i++) {
            now += 150_000; // 0.15 ms per batch
            work += 150_000;
            p.step();
        }
        double share = (double) work / (now - start);
        assertThat(share).isBetween(0.24, 0.26);
    }

    @Test
    void aWholeCoreNeverRests() {
        Pacer p = pacer(1.0);
        now += 50 * MS;
        p.step();
        assertThat(rests).isEmpty();
    }

    @Test
    void aPacedSourceStepsBeforeEachBatchAndHandsOutTheSameBatches() {
        Pacer p = pacer(0.5);
        BatchSource source = p.pace(BatchSource.of(List.of()));
        now += 20 * MS;
        assertThat(source.peek()).isNull();
        assertThat(rests).as("peek does no work").isEmpty();
        assertThat(source.next()).isNull();
        assertThat(rests).containsExactly(20 * MS);
    }

    @Test
    void aShareOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> pacer(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pacer(1.5)).isInstanceOf(IllegalArgumentException.class);
    }
}
