package io.quotahub.testkit;

/**
 * The two-machine topology on one host: a nats-server per "machine" with its own JetStream
 * domain ({@code main}, {@code edge}); edge joins main as a leafnode (authenticated) through a
 * {@link TcpProxy}, so a test can split and heal the link. Main advertises the proxy as its
 * leafnode address, so a reconnecting leafnode never goes around it (docs/architecture.md, "Facts of nats-server 2.9.10"). Each server has
 * the production users of its hub ({@code hub-main}, {@code hub-edge}); the agent users have the
 * same password on both, as agents connect to both.
 */
public final class NatsPair implements AutoCloseable {

    private static final String LEAF_USER = "qh-leaf";
    private static final String LEAF_PASSWORD = "leaf-" + Long.toHexString(Double.doubleToLongBits(Math.random()));

    private final TcpProxy link;
    private final NatsServer main;
    private final NatsServer edge;

    private NatsPair(TcpProxy link, NatsServer main, NatsServer edge) {
        this.link = link;
        this.main = main;
        this.edge = edge;
    }

    public static NatsPair start() {
        int leafPort = FreePorts.next();
        TcpProxy link = new TcpProxy(leafPort);
        NatsServer main = NatsServer.builder().domain("main").extraConfig("""
                leafnodes {
                  listen: "127.0.0.1:%d"
                  advertise: "127.0.0.1:%d"
                  authorization { user: "%s", password: "%s" }
                }
                """.formatted(leafPort, link.port(), LEAF_USER, LEAF_PASSWORD)).start();
        NatsServer edge = NatsServer.builder().domain("edge").sameAgentsAs(main).extraConfig("""
                leafnodes {
                  reconnect: 1
                  remotes: [ { url: "nats-leaf://%s:%s@127.0.0.1:%d" } ]
                }
                """.formatted(LEAF_USER, LEAF_PASSWORD, link.port())).start();
        return new NatsPair(link, main, edge);
    }

    public NatsServer main() {
        return main;
    }

    public NatsServer edge() {
        return edge;
    }

    /** The leafnode link between the machines. */
    public TcpProxy link() {
        return link;
    }

    /** The server of a hub id ("main" or "edge"). */
    public NatsServer server(String hubId) {
        return switch (hubId) {
            case "main" -> main;
            case "edge" -> edge;
            default -> throw new IllegalArgumentException("no server for hub " + hubId);
        };
    }

    @Override
    public void close() {
        edge.close();
        main.close();
        link.close();
    }
}
