package io.quotahub.hub.diagnostics;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.api.AccountStatistics;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamInfo;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.proto.Subjects;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Check 3: the ledger is durable. Asks JetStream (management API, short timeout) for the ledger
 * stream {@code QH_LEDGER_<hub>} and, with a peer, the copy {@code QH_PEER_<peer>}: present, on file
 * storage, message count and bytes; and the account's storage use against its limit. FAIL when
 * NATS or JetStream does not answer or the ledger stream is missing.
 */
final class StorageCheck implements DiagnosticCheck {

    private final Supplier<Connection> connection;
    private final HubSettings settings;
    private final Duration timeout;

    StorageCheck(Supplier<Connection> connection, HubSettings settings, Duration timeout) {
        this.connection = connection;
        this.settings = settings;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "storage";
    }

    @Override
    public String title() {
        return "Storage (JetStream ledger)";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        Connection c = connection.get();
        if (c == null) {
            f.fail("The hub has not connected to its NATS server yet, so the ledger cannot be read or written",
                    "Start the local nats-server with JetStream (infra/nats) and check quotahub.nats-url");
            return f.result("");
        }
        if (c.getStatus() != Connection.Status.CONNECTED) {
            f.fail("The NATS connection is " + c.getStatus() + ": JetStream is unreachable, so no grant can be made durable and the hub refuses acquires",
                    "Restart the local nats-server (systemctl restart nats-" + settings.hubId() + " or docker compose up nats) and check its log; the hub reconnects by itself");
            return f.result("");
        }
        JetStreamManagement jsm;
        try {
            jsm = c.jetStreamManagement(JetStreamOptions.builder().requestTimeout(timeout).build());
        } catch (IOException e) {
            f.fail("JetStream is not enabled on the local NATS server (" + e.getClass().getSimpleName() + ")",
                    "Enable JetStream with a store_dir in the nats-server configuration and restart it");
            return f.result("");
        }
        String ledger = Subjects.ledgerStream(settings.hubId());
        stream(f, jsm, ledger, "ledger", true);
        if (settings.hasPeer()) {
            stream(f, jsm, Subjects.peerCopyStream(settings.peerId()), "copy of " + settings.peerId() + "'s ledger", false);
        }
        if (!f.failed()) {
            try {
                AccountStatistics stats = jsm.getAccountStatistics();
                long max = stats.getLimits().getMaxStorage();
                if (max > 0) {
                    double used = stats.getStorage() / (double) max;
                    if (used > 0.9) {
                        f.fail("JetStream file storage is " + Findings.percent(used) + " full (" + stats.getStorage() + " of " + max + " bytes): appends will soon fail",
                                "Raise max_file_store in the nats-server configuration or free disk space");
                    } else if (used > 0.8) {
                        f.warn("JetStream file storage is " + Findings.percent(used) + " full (" + stats.getStorage() + " of " + max + " bytes)",
                                "Raise max_file_store in the nats-server configuration before it fills");
                    }
                }
                f.note("The account stores " + stats.getStorage() + " bytes in " + stats.getStreams() + " stream(s)");
            } catch (IOException | JetStreamApiException e) {
                f.warn("Could not read JetStream account statistics (" + e.getClass().getSimpleName() + ")",
                        "Check the nats-server log for JetStream errors");
            }
        }
        return f.result("No action needed: the ledger is on file storage and JetStream answers");
    }

    private void stream(Findings f, JetStreamManagement jsm, String name, String what, boolean required) {
        long t0 = System.nanoTime();
        try {
            StreamInfo info = jsm.getStreamInfo(name);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            var state = info.getStreamState();
            if (info.getConfiguration().getStorageType() != StorageType.File) {
                f.fail("Stream " + name + " (" + what + ") uses " + info.getConfiguration().getStorageType()
                                + " storage: a restart of the nats-server loses every grant",
                        "Recreate " + name + " with file storage (delete it while the hub is stopped; the hub creates it on file storage)");
            }
            f.note("Stream " + name + " (" + what + "): " + state.getMsgCount() + " messages, " + state.getByteCount()
                    + " bytes, last sequence " + state.getLastSequence() + ", answered in " + ms + " ms");
        } catch (JetStreamApiException e) {
            if (required) {
                f.fail("The ledger stream " + name + " does not exist or cannot be read (JetStream error " + e.getApiErrorCode() + ")",
                        "Restart the hub so it recreates the stream, and find out who deleted it: the ledger is the hub's memory");
            } else {
                f.warn("Stream " + name + " (" + what + ") is missing (JetStream error " + e.getApiErrorCode() + ")",
                        "Restart the hub so it recreates the copy of the peer's ledger");
            }
        } catch (IOException e) {
            f.fail("JetStream did not answer within " + timeout.toMillis() + " ms for " + name + " (" + e.getClass().getSimpleName() + ")",
                    "Check that the local nats-server has JetStream enabled and is not overloaded (its log, disk space)");
        }
    }
}
