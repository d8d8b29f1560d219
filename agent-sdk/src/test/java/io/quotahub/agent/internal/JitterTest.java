package io.quotahub.agent.internal;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class JitterTest {

    @Property
    void atLeast_neverWaitsLessThanTheBaseNorHalfAgainMore(
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 4) long base,
            @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double u) {
        long wait = new Jitter(() -> u).atLeast(base);

        assertThat(wait).isGreaterThanOrEqualTo(base).isLessThanOrEqualTo(base + base / 2);
    }

    @Property
    void around_staysWithinHalfOfTheBaseEitherSide(
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 4) long base,
            @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double u) {
        long wait = new Jitter(() -> u).around(base);

        assertThat(wait).isGreaterThanOrEqualTo(base / 2).isLessThanOrEqualTo(base + base / 2);
    }

    @Property
    void aSupplierOutOfRange_neverMakesAWaitShorterThanTheBase(@ForAll double u,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 4) long base) {
        assertThat(new Jitter(() -> u).atLeast(base)).isGreaterThanOrEqualTo(base);
    }

    @Test
    void aThousandWaitersRefusedTogether_areSpreadEvenlyOverHalfTheRetryAfter() {
        long retryAfter = TimeUnit.MILLISECONDS.toNanos(1_000);
        SplittableRandom random = new SplittableRandom(42); // deterministic
        Jitter jitter = new Jitter(random::nextDouble);
        int[] perFiftyMs = new int[10];

        for (int i = 0; i < 1_000; i++) {
            long wait = jitter.atLeast(retryAfter);
            perFiftyMs[(int) ((wait - retryAfter) / TimeUnit.MILLISECONDS.toNanos(50))]++;
        }

        // uniform over [1000, 1500) ms: about 100 per 50 ms, where without jitter all 1000 came back at 1000 ms
        assertThat(java.util.Arrays.stream(perFiftyMs).boxed()).allSatisfy(n -> assertThat(n).isBetween(60, 140));
    }

    @Test
    void ofDefaults_drawsDifferentWaits() {
        Jitter jitter = Jitter.ofDefaults();
        long base = TimeUnit.SECONDS.toNanos(1);

        java.util.Set<Long> waits = new java.util.HashSet<>();
        for (int i = 0; i < 100; i++) {
            waits.add(jitter.atLeast(base));
        }

        assertThat(waits).hasSizeGreaterThan(50).allSatisfy(w -> assertThat(w).isBetween(base, base + base / 2));
    }
}
