package io.quotahub.chaos;

import io.nats.client.Options;
import io.quotahub.agent.NatsFiles;
import io.quotahub.proto.Subjects;

import java.nio.file.Path;

/**
 * A raw jnats connection signed in as an agent user, as the SDK signs in with a user/password file:
 * the user's credentials and its own inbox {@code _QH.agent.<user>}, the only one the servers let
 * it read (and from which the hubs take its identity).
 */
public final class AgentLogin {

    private AgentLogin() {
    }

    /**
     * @param userPasswordFile one line {@code user:password}, or null to leave the options as they are
     * @return {@code options}, with the user and its inbox prefix when a file was given
     */
    public static Options.Builder apply(Options.Builder options, Path userPasswordFile) {
        if (userPasswordFile == null) {
            return options;
        }
        NatsFiles.UserPassword up = NatsFiles.userPassword(userPasswordFile);
        return options.userInfo(up.user().toCharArray(), up.password()).inboxPrefix(Subjects.agentInboxPrefix(up.user()));
    }
}
