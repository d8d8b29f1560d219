package io.quotahub.chaos.stranger;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.quotahub.agent.NatsFiles;
import io.quotahub.chaos.AgentLogin;
import io.quotahub.proto.Subjects;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a stranger on the network tries against a running QuotaHub site, each attack with its
 * verdict: over HTTP without a token; on NATS without credentials; and, as an agent that holds
 * credentials (an insider), everything beyond an agent's part. Nothing it sends can change
 * state when the site is secure: forbidden publishes are dropped by the server, and it never
 * sends a valid request.
 *
 * @param nats       a NATS URL of the site (e.g. nats://127.0.0.1:4222)
 * @param hub        the hub's HTTP base URL (e.g. http://127.0.0.1:9000)
 * @param agentUser  an agent's user/password file, for the insider attacks (null: skip them)
 * @param leafnode   host:port of the leafnode listener (null: skip)
 */
public record Stranger(String nats, URI hub, Path agentUser, String leafnode) {

    private static final Duration QUIET = Duration.ofMillis(400);
    private static final String OTHER_AGENT_INBOX = Subjects.AGENT_INBOX_ROOT + "someone-else.>";

    /** One attack and whether the site refused it. */
    public record Verdict(String attack, boolean refused, String how) {
        @Override
        public String toString() {
            return String.format("%-8s %-66s %s", refused ? "REFUSED" : "OPEN", attack, how);
        }
    }

    public List<Verdict> run() throws Exception {
        List<Verdict> verdicts = new ArrayList<>();
        http(verdicts);
        anonymousNats(verdicts);
        if (agentUser != null) {
            insider(verdicts);
        }
        if (leafnode != null) {
            verdicts.add(plainLeafnode());
        }
        return verdicts;
    }

    private void http(List<Verdict> out) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        String body = "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"stranger\"}";
        out.add(status(client, "POST", "/api/v1/acquire", body, "HTTP acquire without a token (would return a key)", false));
        out.add(status(client, "POST", "/api/v1/admin/peer/declare-dead", "{}", "HTTP declare-dead without a token", false));
        out.add(status(client, "POST", "/api/v1/admin/keys/demo/k1/enable", "{}", "HTTP enable a key without a token", false));
        for (String endpoint : List.of("/beans", "/threaddump", "/env", "/refresh")) {
            out.add(status(client, endpoint.equals("/refresh") ? "POST" : "GET", endpoint, "{}", "HTTP management endpoint " + endpoint, true));
        }
    }

    /** Refused: 401 or 403 (and 404 where the route may simply not exist, e.g. a disabled endpoint). */
    private Verdict status(HttpClient client, String method, String path, String body, String attack, boolean absentIsRefused)
            throws InterruptedException {
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(hub.resolve(path)).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            int code = r.statusCode();
            return new Verdict(attack, code == 401 || code == 403 || absentIsRefused && code == 404, "HTTP " + code);
        } catch (IOException e) {
            return new Verdict(attack, true, "no connection (" + e.getClass().getSimpleName() + ")");
        }
    }

    private void anonymousNats(List<Verdict> out) throws Exception {
        String attack = "NATS connect without credentials (then read _INBOX.>, fence a hub…)";
        try (Connection c = Nats.connect(new Options.Builder().server(nats).maxReconnects(0).connectionTimeout(Duration.ofSeconds(3))
                .errorListener(new ErrorListener() { }).build())) {
            Subscription sub = c.subscribe("_INBOX.>");
            c.flush(Duration.ofSeconds(2));
            out.add(new Verdict(attack, false, "connected" + (sub.isActive() ? ", subscribed to _INBOX.>" : "")));
        } catch (IOException e) {
            out.add(new Verdict(attack, true, e.getMessage()));
        }
    }

    private void insider(List<Verdict> out) throws Exception {
        String user = NatsFiles.userPassword(agentUser).user();
        List<String> errors = new CopyOnWriteArrayList<>();
        Options options = AgentLogin.apply(new Options.Builder().server(nats).maxReconnects(0).connectionTimeout(Duration.ofSeconds(3)),
                agentUser).errorListener(new ErrorListener() {
                    @Override
                    public void errorOccurred(Connection conn, String error) {
                        errors.add(error);
                    }
                }).build();
        try (Connection c = Nats.connect(options)) {
            String as = "as agent user " + user + ": ";
            out.add(subscribe(c, errors, "_INBOX.>", null, as + "read every grant reply on _INBOX.>"));
            out.add(subscribe(c, errors, OTHER_AGENT_INBOX, null, as + "read another agent's inbox"));
            out.add(subscribe(c, errors, Subjects.ACQUIRE, Subjects.HUB_QUEUE, as + "join queue group qh-hubs, answer agents"));
            out.add(subscribe(c, errors, "qh.ledger.>", null, as + "read the ledgers"));
            for (String subject : List.of("qh.ledger.main.fence", "qh.ledger.edge.fence", "qh.ledger.main.events", Subjects.HUBS,
                    Subjects.DEMAND, "$JS.API.STREAM.DELETE.QH_LEDGER_main", "$JS.API.STREAM.PURGE.QH_LEDGER_main",
                    "$JS.API.STREAM.DELETE.OBJ_QH_SNAP_main")) {
                out.add(publish(c, errors, subject, as + "publish on " + subject));
            }
        }
    }

    /** Refused when the server reports a subscription violation for it (nothing is ever delivered then). */
    private static Verdict subscribe(Connection c, List<String> errors, String subject, String queue, String attack) throws Exception {
        Subscription sub = queue == null ? c.subscribe(subject) : c.subscribe(subject, queue);
        c.flush(Duration.ofSeconds(2));
        boolean violation = awaitViolation(errors, "Subscription to \"" + subject + "\"");
        Message m = violation ? null : sub.nextMessage(QUIET);
        sub.unsubscribe();
        return new Verdict(attack, violation, violation ? "permissions violation" : m == null ? "subscribed (nothing seen yet)" : "received " + m.getSubject());
    }

    /** Refused when the server reports a publish violation: the message was dropped. */
    private static Verdict publish(Connection c, List<String> errors, String subject, String attack) throws Exception {
        c.publish(subject, "stranger".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        c.flush(Duration.ofSeconds(2));
        boolean violation = awaitViolation(errors, "Publish to \"" + subject + "\"");
        return new Verdict(attack, violation, violation ? "permissions violation, dropped" : "accepted by the server");
    }

    private static boolean awaitViolation(List<String> errors, String what) throws InterruptedException {
        long deadline = System.nanoTime() + QUIET.toNanos() * 3;
        while (System.nanoTime() < deadline) {
            if (errors.stream().anyMatch(e -> e.contains("Permissions Violation") && e.contains(what))) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    /** The leafnode port must not talk to a client without TLS: it sends INFO asking for TLS and then drops it. */
    private Verdict plainLeafnode() {
        String attack = "leafnode " + leafnode + " in clear, as a fake PC2";
        String[] hostPort = leafnode.split(":");
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 3000);
            s.setSoTimeout(3000);
            byte[] buf = new byte[4096];
            int n = s.getInputStream().read(buf);
            String info = n <= 0 ? "" : new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
            boolean tls = info.contains("\"tls_required\":true");
            return new Verdict(attack, tls, tls ? "server requires TLS" : "server talks in clear");
        } catch (IOException e) {
            return new Verdict(attack, true, "no connection (" + e.getMessage() + ")");
        }
    }
}
