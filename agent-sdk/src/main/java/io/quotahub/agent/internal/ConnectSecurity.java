package io.quotahub.agent.internal;

import io.nats.client.AuthHandler;
import io.nats.client.Options;
import io.quotahub.agent.NatsFiles;
import io.quotahub.proto.Subjects;

import javax.net.ssl.SSLContext;

/**
 * How the client proves who it is to NATS and protects the link: applied to the options of every
 * server's connection alike, so failover between servers keeps working. Not part of the API.
 *
 * @param credentials  nkey / JWT authentication, or null
 * @param userPassword user and password, or null
 * @param sslContext   TLS context, or null for plain connections (unless the URL says {@code tls://})
 * @param inboxPrefix  prefix of the reply subjects, or null for the default: the user's agent inbox
 *                     {@code _QH.agent.<user>} with a user/password, else jnats' {@code _INBOX}
 */
public record ConnectSecurity(AuthHandler credentials, NatsFiles.UserPassword userPassword, SSLContext sslContext,
        String inboxPrefix) {

    /** No credentials, no TLS context, the default inbox prefix. */
    public static final ConnectSecurity NONE = new ConnectSecurity(null, null, null, null);

    public ConnectSecurity {
        if (credentials != null && userPassword != null) {
            throw new IllegalArgumentException("set either a credentials file or a user/password file, not both");
        }
        if (inboxPrefix == null && userPassword != null) {
            inboxPrefix = agentInbox(userPassword.user());
        }
    }

    /** The inbox the servers' permissions give agent user {@code user}. */
    private static String agentInbox(String user) {
        if (!user.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("NATS user '" + user + "' cannot name an inbox (1-64 letters, digits, '_' or '-'):"
                    + " set inboxPrefix to the one the servers allow it");
        }
        return Subjects.agentInboxPrefix(user);
    }

    /** Whether anything differs from a plain anonymous connection. */
    public boolean isSet() {
        return credentials != null || userPassword != null || sslContext != null || inboxPrefix != null;
    }

    /** Adds these settings to a connection's options. */
    public Options.Builder applyTo(Options.Builder options) {
        if (credentials != null) {
            options.authHandler(credentials);
        }
        if (userPassword != null) {
            options.userInfo(userPassword.user().toCharArray(), userPassword.password());
        }
        if (sslContext != null) {
            options.sslContext(sslContext);
        }
        if (inboxPrefix != null) {
            options.inboxPrefix(inboxPrefix);
        }
        return options;
    }

    @Override
    public String toString() {
        return "ConnectSecurity[credentials=" + (credentials != null) + ", user="
                + (userPassword == null ? null : userPassword.user()) + ", tls=" + (sslContext != null)
                + ", inboxPrefix=" + inboxPrefix + "]";
    }
}
