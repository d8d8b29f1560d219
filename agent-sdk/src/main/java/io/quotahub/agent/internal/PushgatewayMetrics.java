package io.quotahub.agent.internal;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Histogram;
import io.prometheus.client.exporter.PushGateway;
import io.quotahub.agent.HubUnavailableException;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The agent's metrics in the client's own {@link CollectorRegistry} (never the default one),
 * pushed to the machine's Pushgateway with {@code pushAdd} (POST: replaces only these series)
 * under job {@link #JOB} and grouping key {@code {agent: <agentId>}}: every {@code interval} on a
 * daemon thread and once when the client closes.
 *
 * <p>A Pushgateway that is down costs nothing but a warning, logged once per outage (and an info
 * when it answers again): a push never throws into the agent, and the hooks only update in-memory
 * counters, so acquire never waits for a push. Labels are pool names, hub ids, codes and outcomes:
 * never a key or secret.
 */
public final class PushgatewayMetrics implements ClientMetrics {

    /** The Pushgateway job of every agent. */
    public static final String JOB = "quotahub_agent";
    /** Grouping key label: the agent id. */
    public static final String GROUPING_LABEL = "agent";
    /** How long {@link #close()} waits for the last push. */
    static final Duration CLOSE_PUSH_WAIT = Duration.ofSeconds(2);

    public static final String ACQUIRE_LATENCY = "quotahub_agent_acquire_latency_seconds";
    public static final String LEASES = "quotahub_agent_leases";
    public static final String REFUSALS = "quotahub_agent_refusals";
    public static final String OUTCOMES = "quotahub_agent_outcomes";
    public static final String HUB_UNAVAILABLE = "quotahub_agent_hub_unavailable";
    /** Reason label of {@link #HUB_UNAVAILABLE} when an acquire ended because no hub answered. */
    public static final String GAVE_UP = "GAVE_UP";

    /** Every series name pushed, as Prometheus shows them. */
    public static final List<String> PROMETHEUS_NAMES = List.of(
            ACQUIRE_LATENCY + "_bucket", ACQUIRE_LATENCY + "_count", ACQUIRE_LATENCY + "_sum",
            LEASES + "_total", REFUSALS + "_total", OUTCOMES + "_total", HUB_UNAVAILABLE + "_total");

    private static final System.Logger LOG = System.getLogger("io.quotahub.agent.metrics");

    private final CollectorRegistry registry = new CollectorRegistry();
    private final Histogram acquireLatency = Histogram.build(ACQUIRE_LATENCY,
                    "Time from acquire to lease, waits for room and failovers included")
            .labelNames("pool")
            .buckets(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
            .register(registry);
    private final Counter leases = Counter.build(LEASES, "Leases granted, by granting hub")
            .labelNames("pool", "hub").register(registry);
    private final Counter refusals = Counter.build(REFUSALS, "Refusals received (an acquire may retry after one)")
            .labelNames("pool", "code").register(registry);
    private final Counter outcomes = Counter.build(OUTCOMES, "Provider outcomes reported when settling leases")
            .labelNames("pool", "outcome").register(registry);
    private final Counter hubUnavailable = Counter.build(HUB_UNAVAILABLE,
                    "Requests a hub did not answer (reason TIMEOUT, NO_RESPONDERS, CONNECTION, BAD_REPLY: failed over to the"
                            + " next route) and acquires that ended because no hub answered (reason GAVE_UP)")
            .labelNames("reason").register(registry);

    private final PushGateway gateway;
    private final String address;
    private final Map<String, String> grouping;
    private final Duration interval;
    private final ScheduledExecutorService pusher;
    private boolean failing; // pusher thread only

    /**
     * @param address  Pushgateway {@code host:port} or URL
     * @param agentId  the grouping key value
     * @param interval push period
     * @throws IllegalArgumentException if {@code address} is not a valid address
     */
    public PushgatewayMetrics(String address, String agentId, Duration interval) {
        this.address = address;
        try {
            this.gateway = address.contains("://") ? new PushGateway(new java.net.URL(address)) : new PushGateway(address);
        } catch (java.net.MalformedURLException | RuntimeException e) {
            throw new IllegalArgumentException("pushGateway is not a valid host:port or URL: " + address, e);
        }
        for (RouteFailure failure : RouteFailure.values()) {
            hubUnavailable.labels(failure.name()); // exported at 0 from the first push: increase() sees the first one
        }
        hubUnavailable.labels(GAVE_UP);
        this.grouping = Map.of(GROUPING_LABEL, agentId);
        this.interval = interval;
        this.pusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qh-agent-metrics-push-" + agentId);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the periodic pushes (the first after one interval). */
    public void start() {
        long period = interval.toNanos();
        pusher.scheduleAtFixedRate(this::push, period, period, TimeUnit.NANOSECONDS);
    }

    /** The registry holding the agent's metrics (tests, or an application exposing them itself). */
    public CollectorRegistry registry() {
        return registry;
    }

    /** One push; never throws. Runs on the pusher thread. */
    private void push() {
        try {
            gateway.pushAdd(registry, JOB, grouping);
            if (failing) {
                failing = false;
                LOG.log(System.Logger.Level.INFO, "Pushgateway " + address + " reachable again: agent metrics pushed");
            }
        } catch (Throwable e) { // IOException, or anything the client throws: never into the agent
            if (!failing) {
                failing = true;
                LOG.log(System.Logger.Level.WARNING, "cannot push agent metrics to the Pushgateway " + address + " ("
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                        + "); the agent keeps working, metrics are kept and pushed again when it answers");
            } else {
                LOG.log(System.Logger.Level.DEBUG, () -> "push to the Pushgateway " + address + " failed again: " + e);
            }
        }
    }

    @Override
    public void granted(String pool, String hubId, long latencyNanos, int sends) {
        leases.labels(pool, hubId).inc();
        acquireLatency.labels(pool).observe(latencyNanos / 1e9);
    }

    @Override
    public void refused(String pool, String code) {
        refusals.labels(pool, code.isEmpty() ? "UNKNOWN" : code).inc();
    }

    @Override
    public void acquireFailed(String pool, String code) {
        if (HubUnavailableException.CODE.equals(code)) {
            hubUnavailable.labels(GAVE_UP).inc();
        }
    }

    @Override
    public void routeFailed(String subject, RouteFailure failure) {
        hubUnavailable.labels(failure.name()).inc();
    }

    @Override
    public void settled(String pool, String outcome, boolean ok) {
        outcomes.labels(pool, outcome).inc();
    }

    /** Pushes once more (waiting at most {@link #CLOSE_PUSH_WAIT}) and stops the pusher thread. */
    @Override
    public void close() {
        if (pusher.isShutdown()) {
            return;
        }
        try {
            Future<?> last = pusher.submit(this::push);
            pusher.shutdown();
            last.get(CLOSE_PUSH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "last metrics push did not finish: " + e);
        } finally {
            pusher.shutdownNow();
        }
    }
}
