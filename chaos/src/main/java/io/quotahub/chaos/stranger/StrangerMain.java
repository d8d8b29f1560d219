package io.quotahub.chaos.stranger;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code chaos.jar stranger --nats URL --hub URL [--agent-user-password-file FILE] [--leafnode HOST:PORT]}:
 * tries the attacks of {@link Stranger} and prints one line per attack; exits 1 if any was not refused.
 */
public final class StrangerMain {

    public static final String USAGE = """
              stranger  --nats nats://127.0.0.1:4222 --hub http://127.0.0.1:9000
                        [--agent-user-password-file FILE] [--leafnode 127.0.0.1:7422]
                        tries what a stranger on the network (and, with an agent's credentials, an agent
                        overstepping its part) would against a site; exits 1 if any attack is not refused
            """;

    /** The options ({@link #USAGE}). */
    @Command(name = "stranger")
    public static final class Options {
        @Option(names = "--nats", required = true)
        String nats;
        @Option(names = "--hub", required = true)
        URI hub;
        @Option(names = "--agent-user-password-file")
        Path agentUserPasswordFile;
        @Option(names = "--leafnode")
        String leafnode;
    }

    private StrangerMain() {
    }

    /** @return the exit code: 0 when every attack was refused */
    public static int run(Options o) throws Exception {
        Path agent = o.agentUserPasswordFile;
        Stranger stranger = new Stranger(o.nats, o.hub, agent, o.leafnode);
        System.out.println("[stranger] attacking NATS " + stranger.nats() + " and hub " + stranger.hub()
                + (agent == null ? "" : ", insider attacks with the agent user of " + agent));
        List<Stranger.Verdict> verdicts = stranger.run();
        verdicts.forEach(v -> System.out.println("  " + v));
        long open = verdicts.stream().filter(v -> !v.refused()).count();
        System.out.println(open == 0 ? "[stranger] all " + verdicts.size() + " attacks refused"
                : "[stranger] " + open + " of " + verdicts.size() + " attacks NOT refused");
        return open == 0 ? 0 : 1;
    }
}
