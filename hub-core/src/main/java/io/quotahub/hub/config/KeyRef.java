package io.quotahub.hub.config;

/** A key of a pool: key ids are unique within their pool only. */
public record KeyRef(String pool, String keyId) {

    @Override
    public String toString() {
        return pool + "/" + keyId;
    }
}
