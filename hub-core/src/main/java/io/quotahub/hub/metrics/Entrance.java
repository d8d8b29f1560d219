package io.quotahub.hub.metrics;

/** Where a request entered the hub (the {@code entrance} tag of the rejection counter). */
public enum Entrance {
    NATS_ACQUIRE("nats.acquire"),
    NATS_SETTLE("nats.settle"),
    NATS_HEARTBEAT("nats.heartbeat"),
    HTTP_ACQUIRE("http.acquire"),
    HTTP_COMPLETE("http.complete"),
    HTTP_HEARTBEAT("http.heartbeat"),
    HTTP_ADMIN("http.admin");

    private final String tag;

    Entrance(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
