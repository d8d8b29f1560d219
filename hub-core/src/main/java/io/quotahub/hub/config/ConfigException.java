package io.quotahub.hub.config;

/** A configuration error; the message names the offending field. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }
}
