package io.quotahub.hub.metrics;

import io.quotahub.engine.Health;
import io.quotahub.hub.replication.PeerView;

import java.util.Collection;
import java.util.Optional;

/**
 * What the hub's gauges read besides the engine: a read-only view of the running hub, so metrics
 * depend on this narrow interface and not on the runtime that implements it.
 */
public interface HubReadout {

    /** Ready to grant: connected, ledger replayed, not fenced. */
    boolean ready();

    /** The health of every agent known from heartbeats. */
    Collection<Health> agentHealth();

    /** The peer as this hub sees it; empty for a single hub and until start-up finished. */
    Optional<PeerView> peer();

    /** Takeovers of the peer this hub appended since it started, by fence or by declaration. */
    long takeovers(boolean declared);

    /** The peer's planned hand-overs (a planned stop, not a failover) this hub folded since it started. */
    default long handOvers() {
        return 0;
    }
}
