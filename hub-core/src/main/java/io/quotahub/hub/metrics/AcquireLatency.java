package io.quotahub.hub.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The {@link MetricNames#ACQUIRE_LATENCY} timers of one transport, registered once: recording is
 * a field read, never a registry lookup. Tag {@code result} is {@link #GRANTED}, {@link #REFUSED}
 * or {@link #ERROR} (malformed request, hub unavailable, ledger append failed…).
 */
public final class AcquireLatency {

    /** Transport tag of the NATS API. */
    public static final String NATS = "nats";
    /** Transport tag of the HTTP API. */
    public static final String HTTP = "http";
    public static final String GRANTED = "granted";
    public static final String REFUSED = "refused";
    public static final String ERROR = "error";

    private static final Duration MIN = Duration.ofNanos(100_000);
    private static final Duration MAX = Duration.ofSeconds(10);

    private final Timer granted;
    private final Timer refused;
    private final Timer error;

    public AcquireLatency(MeterRegistry registry, String hubId, String transport) {
        this.granted = timer(registry, hubId, transport, GRANTED);
        this.refused = timer(registry, hubId, transport, REFUSED);
        this.error = timer(registry, hubId, transport, ERROR);
    }

    private static Timer timer(MeterRegistry registry, String hubId, String transport, String result) {
        return Timer.builder(MetricNames.ACQUIRE_LATENCY)
                .description("Time from receiving an acquire to sending its reply (includes the ledger append)")
                .tags(MetricNames.TAG_HUB, hubId, MetricNames.TAG_TRANSPORT, transport, MetricNames.TAG_RESULT, result)
                .publishPercentileHistogram()
                .minimumExpectedValue(MIN)
                .maximumExpectedValue(MAX)
                .register(registry);
    }

    public void granted(long startNanos) {
        granted.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    public void refused(long startNanos) {
        refused.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    public void error(long startNanos) {
        error.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The {@link MetricNames#LEDGER_APPEND_LATENCY} timer of a hub, as a listener of append
     * latencies in nanoseconds (see {@code JetStreamLedger#onAppendLatency}).
     */
    public static java.util.function.LongConsumer ledgerAppend(MeterRegistry registry, String hubId) {
        Timer timer = Timer.builder(MetricNames.LEDGER_APPEND_LATENCY)
                .description("Time from a ledger append to its JetStream acknowledgement (group commit wait included)")
                .tags(MetricNames.TAG_HUB, hubId)
                .publishPercentileHistogram()
                .minimumExpectedValue(MIN)
                .maximumExpectedValue(MAX)
                .register(registry);
        return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
    }
}
