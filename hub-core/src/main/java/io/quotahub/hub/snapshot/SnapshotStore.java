package io.quotahub.hub.snapshot;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.ObjectStore;
import io.nats.client.ObjectStoreManagement;
import io.nats.client.api.ObjectInfo;
import io.nats.client.api.ObjectMeta;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;

/**
 * Where a hub keeps its newest snapshot: a JetStream object store bucket {@code QH_SNAP_<hub>}
 * (file storage, local domain), one object {@code latest}. An object store, not a KV bucket or a
 * plain message: a snapshot holds every open lease, window entry and settled id and easily passes
 * the server's 1 MiB message limit, and the object store chunks it, checks a SHA-256 digest on
 * read, and replaces the previous object only once the new one is complete (a crash while writing
 * leaves the previous snapshot in place).
 */
public final class SnapshotStore {

    static final String OBJECT = "latest";

    private final ObjectStore store;
    private final String bucket;

    public SnapshotStore(Connection connection, String hubId) throws IOException {
        this.bucket = bucketName(hubId);
        ObjectStoreManagement osm = connection.objectStoreManagement();
        try {
            osm.getStatus(bucket);
        } catch (JetStreamApiException notFound) {
            try {
                osm.create(ObjectStoreConfiguration.builder(bucket).storageType(StorageType.File)
                        .description("QuotaHub snapshots of hub " + hubId).build());
            } catch (JetStreamApiException e) {
                throw new IOException("cannot create snapshot bucket " + bucket + ": " + e.getMessage(), e);
            }
        }
        this.store = connection.objectStore(bucket);
    }

    public static String bucketName(String hubId) {
        return "QH_SNAP_" + hubId;
    }

    public String bucket() {
        return bucket;
    }

    public void put(byte[] snapshot) throws IOException {
        put(new java.io.ByteArrayInputStream(snapshot));
    }

    /** Stores the bytes {@code snapshot} gives as the newest snapshot, read chunk by chunk. */
    public void put(java.io.InputStream snapshot) throws IOException {
        try {
            store.put(ObjectMeta.objectName(OBJECT), snapshot);
        } catch (JetStreamApiException | NoSuchAlgorithmException e) {
            throw new IOException("cannot write snapshot to " + bucket + ": " + e.getMessage(), e);
        }
    }

    /** The newest snapshot's bytes, or null if there is none. @throws IOException unreadable (e.g. digest mismatch) */
    public byte[] latest() throws IOException {
        try {
            ObjectInfo info = store.getInfo(OBJECT);
            if (info == null) {
                return null;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, Math.max(0, info.getSize())));
            store.get(OBJECT, out);
            return out.toByteArray();
        } catch (JetStreamApiException | NoSuchAlgorithmException e) {
            throw new IOException("cannot read snapshot from " + bucket + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading snapshot", e);
        }
    }
}
