package io.quotahub.hub.diagnostics;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.ObjectStoreOptions;
import io.nats.client.api.ObjectStoreStatus;
import io.nats.client.api.StorageType;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.snapshot.SnapshotMark;
import io.quotahub.hub.snapshot.SnapshotStore;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A periodic health check (not one of the 12): the snapshot store, the JetStream object store
 * bucket {@code QH_SNAP_<hub>} a restart loads its state from. PASS when it answers on file storage
 * (or snapshots are turned off); WARN when the bucket is missing (a restart then replays the whole
 * ledger: slower, still correct); FAIL when NATS or JetStream does not answer, or the bucket is in
 * memory (lost with the server).
 */
final class SnapshotStoreCheck implements DiagnosticCheck {

    private final Supplier<Connection> connection;
    private final Supplier<SnapshotMark> newest;
    private final HubSettings settings;
    private final Clock clock;
    private final Duration timeout;

    SnapshotStoreCheck(Supplier<Connection> connection, Supplier<SnapshotMark> newest, HubSettings settings, Clock clock,
                       Duration timeout) {
        this.connection = connection;
        this.newest = newest;
        this.settings = settings;
        this.clock = clock;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "snapshot-store";
    }

    @Override
    public String title() {
        return "Snapshot store";
    }

    @Override
    public CheckResult run() {
        if (!settings.snapshots()) {
            return CheckResult.pass("Snapshots are turned off (quotahub.snapshot-every: 0): every start replays the whole ledger",
                    "No action needed; turn them on if restarts take long");
        }
        Findings f = new Findings();
        Connection c = connection.get();
        if (c == null || c.getStatus() != Connection.Status.CONNECTED) {
            f.fail("The snapshot store cannot be read or written: the NATS connection is " + (c == null ? "not open yet" : c.getStatus()),
                    "Restore the local nats-server first (see the storage check); the hub reconnects by itself");
            return f.result("");
        }
        String bucket = SnapshotStore.bucketName(settings.hubId());
        try {
            ObjectStoreStatus status = c.objectStoreManagement(ObjectStoreOptions.builder().jsRequestTimeout(timeout).build())
                    .getStatus(bucket);
            if (status.getStorageType() != StorageType.File) {
                f.fail("The snapshot bucket " + bucket + " uses " + status.getStorageType() + " storage: a restart of the nats-server loses it",
                        "Delete the bucket while the hub is stopped; the hub recreates it on file storage");
            }
            f.note("Bucket " + bucket + " holds " + status.getSize() + " bytes");
        } catch (JetStreamApiException e) {
            f.warn("The snapshot bucket " + bucket + " is missing (JetStream error " + e.getApiErrorCode() + "): a restart replays the whole ledger",
                    "Restart the hub so it recreates the bucket, and find out who deleted it");
        } catch (IOException e) {
            f.fail("JetStream did not answer within " + timeout.toMillis() + " ms for the snapshot bucket " + bucket
                            + " (" + e.getClass().getSimpleName() + ")",
                    "Check that the local nats-server has JetStream enabled and is not overloaded (its log, disk space)");
        }
        SnapshotMark s = newest.get();
        if (s == null) {
            f.note("No snapshot loaded or written since the start");
        } else {
            long ageSeconds = Math.max(0, clock.millis() - s.takenAtMillis()) / 1000;
            f.note("Newest snapshot: own ledger through " + s.ownSeq() + ", taken " + ageSeconds + " s ago");
        }
        return f.result("No action needed: the snapshot store answers");
    }
}
