package io.quotahub.hub.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.nats.client.Options;
import io.quotahub.agent.NatsFiles;
import io.quotahub.proto.Subjects;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * How the hub authenticates to its NATS server and protects the link, under {@code quotahub.nats}.
 * The files have the formats of the agent SDK ({@link NatsFiles}), so agents and hubs share one
 * way of writing them. Every file is checked at start-up (a bad one stops the hub with the
 * setting's name in the message, never a file's content). A credentials file is read again at
 * each reconnect (jnats asks its handler each time); the user/password and TLS files are read when
 * the hub connects.
 *
 * @param credentialsFile  a {@code .creds} file (user JWT + nkey seed) or a user nkey seed file
 * @param userPasswordFile a file with one line {@code user:password}; exclusive with {@code credentialsFile}
 * @param inboxPrefix      prefix of the hub's reply subjects; default {@code _QH.hub.<hub-id>}, the only
 *                         inbox the hub user's NATS permissions let it read
 * @param tls              TLS to the NATS server; off when no file is set
 */
@ConfigurationProperties("quotahub.nats")
public record NatsSettings(@Nullable String credentialsFile, @Nullable String userPasswordFile,
        @Nullable String inboxPrefix, @Nullable Tls tls) {

    public NatsSettings {
        if (credentialsFile != null && userPasswordFile != null) {
            throw new ConfigException("quotahub.nats.credentials-file and quotahub.nats.user-password-file are exclusive:"
                    + " set one");
        }
        if (credentialsFile != null) {
            checked("quotahub.nats.credentials-file", () -> NatsFiles.credentials(Path.of(credentialsFile)));
        }
        if (userPasswordFile != null) {
            checked("quotahub.nats.user-password-file", () -> NatsFiles.userPassword(Path.of(userPasswordFile)));
        }
        if (inboxPrefix != null) {
            String prefix = inboxPrefix;
            inboxPrefix = checked("quotahub.nats.inbox-prefix", () -> NatsFiles.inboxPrefix(prefix));
        }
        if (tls != null && tls.enabled()) {
            tls.sslContext(); // checks the files now
        }
    }

    /** Adds the credentials, TLS and inbox prefix to the options of the connection of hub {@code hubId}. */
    public Options.Builder applyTo(Options.Builder options, String hubId) {
        if (credentialsFile != null) {
            options.authHandler(NatsFiles.credentials(Path.of(credentialsFile)));
        }
        if (userPasswordFile != null) {
            NatsFiles.UserPassword up = NatsFiles.userPassword(Path.of(userPasswordFile));
            options.userInfo(up.user().toCharArray(), up.password());
        }
        if (tls != null && tls.enabled()) {
            options.sslContext(tls.sslContext());
        }
        options.inboxPrefix(inboxPrefix(hubId));
        return options;
    }

    private String inboxPrefix(String hubId) {
        return inboxPrefix != null ? inboxPrefix : Subjects.hubInboxPrefix(hubId);
    }

    /** What hub {@code hubId} uses, for its start-up log line: names and paths, never a secret. */
    public String describe(String hubId) {
        String auth = credentialsFile != null ? "credentials " + credentialsFile
                : userPasswordFile != null ? "user/password " + userPasswordFile : "no credentials";
        return auth + (tls != null && tls.enabled() ? ", TLS" + (tls.certFile() != null ? " with client certificate" : "") : ", no TLS")
                + ", inbox prefix " + inboxPrefix(hubId);
    }

    private static <T> T checked(String setting, Supplier<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(setting + ": " + e.getMessage());
        }
    }

    /**
     * TLS to the NATS server, from PEM files.
     *
     * @param caFile   CA certificate(s) the server's certificate must chain to (the JDK's trust store when unset)
     * @param certFile the hub's client certificate, for servers that verify clients
     * @param keyFile  its unencrypted PKCS#8 private key ({@code BEGIN PRIVATE KEY})
     */
    @ConfigurationProperties("tls")
    public record Tls(@Nullable String caFile, @Nullable String certFile, @Nullable String keyFile) {

        public Tls {
            if ((certFile == null) != (keyFile == null)) {
                throw new ConfigException("quotahub.nats.tls.cert-file and quotahub.nats.tls.key-file go together: "
                        + (certFile == null ? "cert-file" : "key-file") + " is missing");
            }
        }

        /** Whether any TLS file is set. */
        public boolean enabled() {
            return caFile != null || certFile != null;
        }

        javax.net.ssl.SSLContext sslContext() {
            return checked("quotahub.nats.tls", () -> NatsFiles.sslContext(caFile == null ? null : Path.of(caFile),
                    certFile == null ? null : Path.of(certFile), keyFile == null ? null : Path.of(keyFile)));
        }
    }
}
