package io.quotahub.bench;

/** One measurement of {@link TwoHubBench}, named as {@code --only} names it. */
interface TwoHubMeasurement {

    /** lag, latency, split, kill, hang or rebalance. */
    String name();

    /** True when it starts a cluster of its own instead of using the shared pair. */
    default boolean ownCluster() {
        return false;
    }

    /**
     * Measures, then adds its JSON under {@code out.results} and its table rows to {@code out.table}.
     *
     * @param pair the shared pair (nats-servers main/edge, hub-main, hub-edge), null when {@link #ownCluster()}
     */
    void run(BenchHubs pair, TwoHubOptions o, TwoHubReport out) throws Exception;
}
