package io.quotahub.hub.fuzz;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomDistribution;

import java.util.List;

/** Batches of hostile input for one try. */
final class Batches {

    private Batches() {
    }

    /** 1 to {@code max} items, every size as likely (jqwik's default prefers short lists); shrinks to one item. */
    static <T> Arbitrary<List<T>> of(Arbitrary<T> items, int max) {
        return items.list().ofMinSize(1).ofMaxSize(max).withSizeDistribution(RandomDistribution.uniform());
    }
}
