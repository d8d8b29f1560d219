package io.quotahub.hub.metrics;

/** Every metric name the hub exports, in one place (Prometheus adds _total/_seconds suffixes). */
public final class MetricNames {

    public static final String LEASES_GRANTED = "quotahub.leases.granted";
    public static final String LEASES_REFUSED = "quotahub.leases.refused";
    public static final String LEASES_SETTLED = "quotahub.leases.settled";
    public static final String ACQUIRE_LATENCY = "quotahub.acquire.latency";
    public static final String LIMIT_USED = "quotahub.limit.used";
    public static final String LIMIT_CAPACITY = "quotahub.limit.capacity";
    public static final String LIMIT_BUDGET = "quotahub.limit.budget";
    public static final String KEY_TEMPERATURE = "quotahub.key.temperature";

    public static final String TAG_HUB = "hub";
    public static final String TAG_POOL = "pool";
    public static final String TAG_KEY = "key";
    public static final String TAG_REASON = "reason";
    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_TRANSPORT = "transport";
    public static final String TAG_RESULT = "result";

    private MetricNames() {
    }
}
