package io.quotahub.agent.internal;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The client's NATS connections: one to each configured server, each reconnecting only to its
 * own server. Requests go out on the first connected one in the configured order (local first),
 * so when the local server dies the next request takes the other server at once instead of
 * waiting for one connection to reconnect elsewhere; when it comes back, requests return to it
 * once a hub has announced itself ready through it (failback).
 * A request in flight on a connection that drops fails at once (it can never be answered), so
 * the caller retries on the other connection instead of waiting for its timeout.
 *
 * <p>Why failback waits for a hub: a restarted server accepts the agent's connection within the
 * reconnect wait (250 ms), long before anything there can answer — its hub reconnects and checks
 * its ledger, and the leafnode to the other machine comes back after a second or more. Requests
 * sent there meanwhile found no responders on every route, round after round, while the other
 * connection was serving: the 1 242 ms failback gap of chaos seed 20261207 ({@code FailbackGapTest}).
 *
 * <p>Why an announcement is not proof enough: a hub announces itself ready as soon as it is
 * connected again, but its first grants after its server restarted can take over a second (the
 * ledger's appends on the restarted JetStream). Requests that went back at once timed out after
 * the whole request timeout, twice (the queue, then that hub's direct subject), before the other
 * hub was asked: failback gaps of 1.3–1.6 s in the chaos suite. So a connection a hub announced
 * itself through is only on trial ({@link #TRIAL_TIMEOUT_NANOS}) until a request on the queue is
 * answered through it.
 */
final class ServerLinks implements AutoCloseable {

    /** One slot per configured server, in order; null until that server was first reached. */
    private final AtomicReferenceArray<Connection> connections;
    /**
     * How long a request on a connection on trial waits before it goes once more through another
     * connection (a hub answers in milliseconds; a loaded machine's hub in a few hundred).
     */
    static final long TRIAL_TIMEOUT_NANOS = 300_000_000L;
    /** A connection through which the queue was answered since it last came back: requests take it. */
    private static final int PROVEN = 0;
    /**
     * The connection dropped (or was first made late) and no hub announced itself through it
     * since: requests take another connection while one is usable.
     */
    private static final int PROBATION = 1;
    /**
     * A hub announced itself ready through it since it came back, but no request on the queue was
     * answered through it yet: requests take it (failback), each only for
     * {@link #TRIAL_TIMEOUT_NANOS} while another connection is usable.
     */
    private static final int TRIAL = 2;

    /** Per slot: {@link #PROVEN}, {@link #PROBATION} or {@link #TRIAL}. */
    private final AtomicIntegerArray probation;
    private final boolean owned;
    private final java.util.function.Consumer<Connection> onConnected;
    /** Told (on a NATS thread) when a connection drops: the replies of requests sent on it died with it. */
    private final java.util.function.Consumer<Connection> onLost;
    private volatile boolean closed;

    private ServerLinks(int servers, boolean owned, java.util.function.Consumer<Connection> onConnected,
            java.util.function.Consumer<Connection> onLost) {
        this.connections = new AtomicReferenceArray<>(servers);
        this.probation = new AtomicIntegerArray(servers);
        this.owned = owned;
        this.onConnected = onConnected;
        this.onLost = onLost;
    }

    /** An embedding application's connection: used as it is, never closed here. */
    static ServerLinks of(Connection connection, java.util.function.Consumer<Connection> onConnected) {
        ServerLinks links = new ServerLinks(1, false, onConnected, lost -> { });
        links.add(0, connection);
        return links;
    }

    private void add(int slot, Connection c) {
        connections.set(slot, c);
        onConnected.accept(c);
    }

    private int slotOf(Connection c) {
        for (int i = 0; i < connections.length(); i++) {
            if (connections.get(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Nothing answered a request through {@code c} that a hub should have answered (no responders
     * on the queue, or on the direct subject of a hub heard from recently): while another connection
     * is usable, {@code c} goes on probation (until a hub is heard through it again) and the other
     * one is returned for the same request; otherwise null. This is the restarted server whose hub
     * and leafnode are not back yet, found by a request rather than by an announcement.
     */
    Connection moveAwayFrom(Connection c) {
        int slot = slotOf(c);
        Connection other = otherUsable(slot);
        if (other != null && slot >= 0) {
            probation.set(slot, PROBATION);
        }
        return other;
    }

    /** The first connected connection other than {@code slot} that is not on probation, or null. */
    private Connection otherUsable(int slot) {
        for (int i = 0; i < connections.length(); i++) {
            Connection o = connections.get(i);
            if (i != slot && o != null && probation.get(i) != PROBATION && o.getStatus() == Connection.Status.CONNECTED) {
                return o;
            }
        }
        return null;
    }

    /** A hub announced itself ready through {@code c}: requests may take it again, on trial. */
    void hubHeard(Connection c) {
        int slot = slotOf(c);
        if (slot >= 0) {
            probation.compareAndSet(slot, PROBATION, TRIAL);
        }
    }

    /** Whether {@code c} is on trial: a hub announced itself through it, the queue was not answered yet. */
    boolean onTrial(Connection c) {
        int slot = slotOf(c);
        return slot >= 0 && probation.get(slot) == TRIAL;
    }

    /**
     * A request on the queue was answered through {@code c}: the hub the queue reaches there serves,
     * its trial ends. (A reply on a direct subject proves less: it may come from the other machine's
     * hub over the leafnode; so does an error such as {@code UNAVAILABLE}, see {@link #trialFailed}.)
     */
    void answeredThrough(Connection c) {
        int slot = slotOf(c);
        if (slot >= 0) {
            probation.compareAndSet(slot, TRIAL, PROVEN);
        }
    }

    /**
     * How long a request through {@code c} may wait before it goes through another connection:
     * {@link #TRIAL_TIMEOUT_NANOS} while {@code c} is on trial and another is usable, else
     * {@code timeoutNanos}.
     */
    long trialTimeout(Connection c, long timeoutNanos) {
        int slot = slotOf(c);
        if (slot < 0 || probation.get(slot) != TRIAL || otherUsable(slot) == null) {
            return timeoutNanos;
        }
        return Math.min(timeoutNanos, TRIAL_TIMEOUT_NANOS);
    }

    /**
     * A request through {@code c} on trial got no answer within the trial, or the hub there answered
     * that it cannot serve yet (it announces itself ready a moment before it serves): {@code c} goes
     * back on probation (until a hub announces itself there again) and the other usable connection
     * is returned, or null when {@code c} was not on trial or none is usable.
     */
    Connection trialFailed(Connection c) {
        int slot = slotOf(c);
        if (slot < 0 || probation.get(slot) != TRIAL) {
            return null;
        }
        Connection other = otherUsable(slot);
        if (other != null) {
            probation.compareAndSet(slot, TRIAL, PROBATION);
        }
        return other;
    }

    /**
     * Connects to each server; {@code onConnected} gets each connection when it is first made,
     * {@code onLost} each time one drops. A server down now is connected to in the background as
     * soon as it is up; at least one must answer now.
     *
     * @throws IOException if no server could be reached
     */
    static ServerLinks connect(ClientConfig config, java.util.function.Consumer<Connection> onConnected,
            java.util.function.Consumer<Connection> onLost) throws IOException, InterruptedException {
        List<String> servers = config.servers();
        ServerLinks links = new ServerLinks(servers.size(), true, onConnected, onLost);
        IOException lastFailure = null;
        List<String> reasons = new ArrayList<>();
        List<Integer> down = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            try {
                links.add(i, Nats.connect(links.options(config, servers.get(i))));
            } catch (IOException e) {
                lastFailure = e;
                reasons.add(servers.get(i) + ": " + reason(e));
                down.add(i);
            }
        }
        if (down.size() == servers.size()) {
            if (lastFailure == null) {
                throw new IOException("no NATS server configured");
            }
            throw new IOException(String.join("; ", reasons), lastFailure);
        }
        for (int slot : down) {
            Thread t = new Thread(() -> links.connectLater(config, slot), "qh-agent-connect-" + config.agentId());
            t.setDaemon(true);
            t.start();
        }
        return links;
    }

    /**
     * Why a connect failed, in the words of jnats and the server (e.g. "Authorization Violation",
     * a TLS handshake error): neither holds the credentials.
     */
    private static String reason(IOException e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t.getMessage().isBlank())) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Retries a server that was down at start until it answers or the client closes. */
    private void connectLater(ClientConfig config, int slot) {
        Options options = options(config, config.servers().get(slot));
        RetryPolicy retry = new RetryPolicy(Jitter.ofDefaults()); // this thread's own draws
        while (!closed) {
            try {
                Connection c = Nats.connect(options);
                synchronized (this) {
                    if (!closed) {
                        probation.set(slot, PROBATION); // like a failback: wait for a hub to be heard there
                        add(slot, c);
                        return;
                    }
                }
                c.close();
                return;
            } catch (IOException notYet) {
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.sleep(retry.reconnect());
                } catch (InterruptedException e) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Options options(ClientConfig config, String server) {
        return config.security().applyTo(Options.builder())
                .server(server)
                .ignoreDiscoveredServers() // each connection stays with its own server
                .maxReconnects(-1)
                .reconnectWait(ClientConfig.RECONNECT_WAIT)
                .connectionTimeout(ClientConfig.CONNECTION_TIMEOUT)
                .pingInterval(ClientConfig.PING_INTERVAL)
                .connectionName(config.connectionName())
                .connectionListener(this::onConnectionEvent)
                .errorListener(new QuietErrorListener())
                .build();
    }

    private void onConnectionEvent(Connection conn, ConnectionListener.Events event) {
        System.Logger.Level level = switch (event) {
            case DISCONNECTED, RECONNECTED, LAME_DUCK -> System.Logger.Level.INFO;
            default -> System.Logger.Level.DEBUG;
        };
        DefaultQuotaClient.LOG.log(level, () -> "NATS " + event.getEvent() + " (" + conn.getConnectedUrl() + ")");
        if (event == ConnectionListener.Events.DISCONNECTED || event == ConnectionListener.Events.CLOSED) {
            int slot = slotOf(conn);
            if (slot >= 0) {
                probation.set(slot, PROBATION);
            }
            onLost.accept(conn);
        }
    }

    /**
     * The connection requests take now: the first connected one in the configured order that is
     * not on probation (a hub was heard through it since it last came back; it may be on trial),
     * else the first connected one.
     */
    Connection active() {
        Connection first = null;
        Connection firstConnected = null;
        for (int i = 0; i < connections.length(); i++) {
            Connection c = connections.get(i);
            if (c == null) {
                continue;
            }
            if (c.getStatus() == Connection.Status.CONNECTED) {
                if (probation.get(i) != PROBATION) {
                    return c;
                }
                firstConnected = firstConnected == null ? c : firstConnected;
            }
            first = first == null ? c : first;
        }
        return firstConnected != null ? firstConnected : first; // none connected: jnats buffers until that one is back
    }

    /** The connections made so far, in the configured order. */
    List<Connection> all() {
        List<Connection> made = new ArrayList<>(connections.length());
        for (int i = 0; i < connections.length(); i++) {
            Connection c = connections.get(i);
            if (c != null) {
                made.add(c);
            }
        }
        return made;
    }

    /** Every connection is closed for good (e.g. an embedding application closed its own). */
    boolean allClosed() {
        for (int i = 0; i < connections.length(); i++) { // no allocation: asked before every send
            Connection c = connections.get(i);
            if (c != null && c.getStatus() != Connection.Status.CLOSED) {
                return false;
            }
        }
        return true;
    }

    /** Sends a request on the active connection, kept in {@code inFlight} until answered or due. */
    CompletableFuture<Message> request(Connection conn, String subject, byte[] body, long timeoutNanos,
            InFlightRequests inFlight) {
        CompletableFuture<Message> reply = inFlight.send(conn, subject, body, timeoutNanos);
        if (!reply.isDone() && conn.getStatus() != Connection.Status.CONNECTED && active() != conn) {
            // it dropped while sending and another one is up: do not wait for the buffer
            reply.completeExceptionally(new IOException("NATS connection lost before the reply"));
        }
        return reply;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        if (!owned) {
            return;
        }
        for (Connection c : all()) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** jnats' default listener logs every lost connection as SEVERE; reconnecting is routine here. */
    private static final class QuietErrorListener implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            DefaultQuotaClient.LOG.log(System.Logger.Level.WARNING, () -> "NATS error: " + error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            DefaultQuotaClient.LOG.log(System.Logger.Level.DEBUG, () -> "NATS connection problem: " + exp);
        }

        @Override
        public void slowConsumerDetected(Connection conn, Consumer consumer) {
            DefaultQuotaClient.LOG.log(System.Logger.Level.WARNING, "NATS slow consumer in the QuotaHub client");
        }
    }
}
