package io.quotahub.chaos.cluster;

import io.quotahub.agent.QuotaClient;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the nemesis and the checker need from a running two-site system, whatever runs it
 * (processes on this host, containers): the faults it can inject and the addresses it exposes.
 * Hub ids are {@code main} and {@code edge}; each names a "machine" (its hub and its nats-server).
 */
public interface ChaosCluster extends AutoCloseable {

    List<String> HUBS = List.of("main", "edge");

    static String peerOf(String hubId) {
        return hubId.equals("main") ? "edge" : "main";
    }

    /** NATS URLs for an agent on a machine: its own server first, the other as fallback. */
    String[] agentServers(String side);

    /**
     * The agents' NATS user/password file when the servers run with the production users (an
     * agent connecting without it is refused, or on test servers becomes the test's superuser), or null.
     */
    Path agentCredentials();

    /** A client builder for an agent on a machine: its servers, and the agents' NATS user when there is one. */
    default QuotaClient.Builder agentClient(String side) {
        QuotaClient.Builder builder = QuotaClient.builder().servers(agentServers(side));
        return agentCredentials() == null ? builder : builder.userPasswordFile(agentCredentials());
    }

    /** The NATS URL of a machine's server (the checker reads that machine's ledger there). */
    String natsUrl(String side);

    /** Base HTTP URL of a hub, e.g. {@code http://127.0.0.1:9000}. */
    String hubUrl(String hubId);

    /** The hubs' HTTP token of a role ({@code OPERATOR}, {@code VIEWER}, {@code AGENT}): the hubs run with tokens. */
    String token(String role);

    /** The secrets (env name → value) the hubs' config names. */
    Map<String, String> secrets();

    /**
     * An operator's change of the pools: every hub's config file holds {@code poolsYaml} (the
     * {@code pools:} block, indented as at the start) from now on, rewritten at once and on every
     * restart, so a hub restarted after a reload starts from the reloaded pools. The hubs switch
     * only when told to reload.
     *
     * @throws UnsupportedOperationException where the cluster cannot rewrite its hubs' files
     */
    default void replacePools(String poolsYaml) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot change its hubs' pools");
    }

    /** {@code kill -9} of a hub. */
    void killHub(String hubId);

    /** Starts a hub again (after a kill) and waits until it is ready. */
    void restartHub(String hubId);

    /** Restarts a hub whose wall clock is {@code offsetMillis} off. */
    void restartHubWithClockOffset(String hubId, long offsetMillis);

    /** Whether {@link #restartHubWithClockOffset} can work here, and if not, why. */
    String clockSkewUnsupportedReason();

    /** Whether the hub's process runs (a paused one counts as running). */
    boolean hubAlive(String hubId);

    /** SIGSTOP. */
    void pauseHub(String hubId);

    /** SIGCONT. */
    void resumeHub(String hubId);

    /** {@code kill -9} of a machine's nats-server. */
    void killNats(String side);

    /** Starts a machine's nats-server again (same port, same store). */
    void startNats(String side);

    /** Clean split of the link between the machines (connections closed, new ones refused). */
    void cutLink();

    /** Silent split: connections stay open, bytes vanish. */
    void blackholeLink();

    void healLink();

    /**
     * Every OS process this cluster started so far (for the "nothing left running" check). Handles,
     * not PIDs: a handle knows its process's start time, so a PID reused by another program on a
     * busy host (pid_max is often 32768) is not mistaken for a process left running.
     */
    List<ProcessHandle> startedProcesses();

    /** Copies the logs of the processes into {@code dir} (for a failed run). */
    void saveLogs(Path dir);

    @Override
    void close();
}
