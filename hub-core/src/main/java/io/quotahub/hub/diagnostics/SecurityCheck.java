package io.quotahub.hub.diagnostics;

import io.micronaut.context.env.Environment;
import io.micronaut.context.env.PropertySource;
import io.nats.client.Connection;
import io.nats.client.Options;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.NatsSettings;
import io.quotahub.hub.config.Secret;
import io.quotahub.hub.config.pools.KeySettings;
import io.quotahub.hub.config.pools.PoolSettings;
import io.quotahub.hub.config.pools.PoolsSettings;
import io.quotahub.hub.config.pools.SecretSource;
import io.quotahub.hub.security.BearerTokens;
import io.quotahub.hub.security.TokenSettings;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Check 12: security settings (docs/security.md; docs/operations.md, "Diagnostics").
 * <ul>
 *   <li>the NATS connection authenticates (a user the server's permissions restrict), else WARN: a
 *       server that lets the hub in without credentials lets anyone in, and any client can read
 *       grants and forge hub messages; a remote server needs TLS too; the credentials file is
 *       checked like a secret file;</li>
 *   <li>every {@code secret-file} is not readable or writable by others (POSIX permissions):
 *       FAIL when world-readable;</li>
 *   <li>{@code secret-env} holds a variable name, and no secret value appears literally in any
 *       configuration property (outside the process environment): FAIL;</li>
 *   <li>the HTTP API: bearer tokens configured (their files checked like secret files), else
 *       protected mode (127.0.0.1 only): WARN; authentication switched off: FAIL.</li>
 * </ul>
 * Only names, paths and permissions are shown, never a value.
 */
final class SecurityCheck implements DiagnosticCheck {

    private static final Set<String> PROCESS_SOURCES = Set.of("env", "system");

    private final HubSettings settings;
    private final NatsSettings natsSettings;
    private final Environment environment;
    private final Supplier<Connection> connection;
    private final Collection<Secret> secrets;
    private final PoolsSettings pools;
    private final BearerTokens tokens;
    private final List<TokenSettings> tokenSettings;

    SecurityCheck(HubSettings settings, NatsSettings natsSettings, Environment environment, Supplier<Connection> connection,
                  Collection<Secret> secrets, PoolsSettings pools, BearerTokens tokens, List<TokenSettings> tokenSettings) {
        this.natsSettings = natsSettings;
        this.tokens = tokens;
        this.tokenSettings = List.copyOf(tokenSettings);
        this.settings = settings;
        this.environment = environment;
        this.connection = connection;
        this.secrets = List.copyOf(secrets);
        this.pools = pools;
    }

    @Override
    public String name() {
        return "security-configuration";
    }

    @Override
    public String title() {
        return "Security configuration";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        nats(f);
        int keys = 0;
        int files = 0;
        for (PoolSettings pool : pools.pools()) {
            for (KeySettings k : pool.keys()) {
                keys++;
                String who = "key " + k.id() + " of pool " + pool.name();
                SecretSource source = k.secret();
                if (source.file() != null) {
                    files++;
                    secretFile(f, who, Path.of(source.file()));
                }
                if (source.env() != null && !Redactor.ENV_NAME.matcher(source.env()).matches()) {
                    f.fail("The secret-env of " + who + " is not an environment variable name: the key itself may have been pasted into the configuration",
                            "Put the key in a file readable only by the hub (secret-file, mode 0400/0440) or in an environment variable, name that in the configuration, and revoke the exposed key at the provider");
                }
            }
        }
        Set<String> leaking = new TreeSet<>();
        for (PropertySource source : environment.getPropertySources()) {
            if (PROCESS_SOURCES.contains(source.getName())) {
                continue;
            }
            for (String property : source) {
                Object value = source.get(property);
                if (value == null) {
                    continue;
                }
                String text = value.toString();
                for (Secret s : secrets) {
                    if (text.contains(s.reveal())) {
                        leaking.add(property + " (" + source.getName() + ")");
                    }
                }
            }
        }
        if (!leaking.isEmpty()) {
            f.fail("A key's secret appears literally in configuration " + leaking + ": anyone who can read the configuration can read the key",
                    "Remove the value from the configuration, keep it only in a secret-file or the environment variable named by secret-env, and rotate the key at the provider");
        }
        http(f);
        f.note(keys + " key(s) configured, " + files + " secret file(s) checked");
        return f.result("No action needed: secrets are protected, the hub authenticates to NATS, and the HTTP API needs tokens");
    }

    private void nats(Findings f) {
        URI url;
        try {
            url = URI.create(settings.natsUrl());
        } catch (IllegalArgumentException e) {
            f.warn("quotahub.nats-url is not a URL", "Set quotahub.nats-url to e.g. nats://127.0.0.1:4222");
            return;
        }
        String host = url.getHost() == null ? "" : url.getHost();
        boolean local = host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
        Connection c = connection.get();
        Options o = c == null ? null : c.getOptions();
        boolean tls = "tls".equalsIgnoreCase(url.getScheme()) || o != null && (o.getSslContext() != null || o.isTLSRequired());
        boolean credentials = url.getUserInfo() != null || o != null && (o.getUsername() != null || o.getToken() != null || o.getAuthHandler() != null);
        String where = "The NATS connection to " + host + ":" + url.getPort();
        if (!credentials) {
            f.warn(where + " has no user: a nats-server that lets the hub in without credentials lets anyone in, and any client that reaches its port can read grants (which carry keys), answer agents in the hubs' place or fence a hub",
                    "Give the nats-server users with permissions (infra/nats/make-users) and the hub its own (quotahub.nats.user-password-file); docs/security.md, \"NATS users\"");
        } else if (!tls && !local) {
            f.warn(where + " is not encrypted, and the server is not on this machine: its password and every grant cross the network in clear",
                    "Run the hub beside its own nats-server (nats://127.0.0.1) or connect with tls:// (quotahub.nats.tls.*)");
        } else {
            f.note(where + " authenticates" + (tls ? " over TLS" : " (plain, on this machine)"));
        }
        for (String file : new String[] {natsSettings.credentialsFile(), natsSettings.userPasswordFile()}) {
            if (file != null) {
                secretFile(f, "the hub's NATS credentials", Path.of(file));
            }
        }
    }

    private static void secretFile(Findings f, String who, Path file) {
        if (!Files.exists(file)) {
            return; // the key-configuration check reports unreadable secrets
        }
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            f.note("The secret file of " + who + " is on a file system without POSIX permissions; check its access rights by hand");
            return;
        } catch (IOException e) {
            f.warn("The permissions of the secret file of " + who + " (" + file + ") could not be read", "Check the file's owner and mode");
            return;
        }
        if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            f.fail("The secret file of " + who + " (" + file + ") is " + (perms.contains(PosixFilePermission.OTHERS_READ) ? "world-readable" : "world-writable")
                            + " (" + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "): every user on the machine can read or replace the key",
                    "chmod 0440 (or 0400) the secret files and chown them to root:quotahub (or the hub's user), then rotate any key that was exposed");
        } else if (perms.contains(PosixFilePermission.GROUP_WRITE)) {
            f.warn("The secret file of " + who + " (" + file + ") is group-writable (" + java.nio.file.attribute.PosixFilePermissions.toString(perms) + ")",
                    "chmod 0440 the secret files so no one can replace a key");
        }
    }

    /**
     * The HTTP API: tokens configured (PASS, names and roles shown), or protected mode (WARN: the
     * hub serves this machine only). Token files are checked like secret files. Management
     * endpoints need a role whatever {@code endpoints.*.sensitive} says, so such flags are noted
     * as having no effect; only switching micronaut-security off opens the API.
     */
    private void http(Findings f) {
        if (!environment.getProperty("micronaut.security.enabled", Boolean.class).orElse(true)) {
            f.fail("HTTP authentication is switched off (micronaut.security.enabled=false): every route, including acquire (which hands out keys) and the admin routes, is open to anyone who reaches the port",
                    "Remove micronaut.security.enabled=false and configure quotahub.security.tokens");
        }
        if (tokens.none()) {
            f.warn("Protected mode: no quotahub.security.tokens are configured, so the HTTP API listens on 127.0.0.1 only and serves this machine alone (dashboard, API and /prometheus are unreachable from other machines)",
                    "To serve other machines, configure quotahub.security.tokens (an AGENT token for HTTP clients, a VIEWER token for Prometheus and Grafana, an OPERATOR token for the admin routes) and restart; docs/operations.md");
        } else {
            f.note("The HTTP API needs a bearer token on every route but /health and the dashboard's static files; tokens: "
                    + tokens.holders().stream().map(h -> h.name() + " (" + h.role() + ")").collect(Collectors.joining(", ")));
        }
        for (TokenSettings t : tokenSettings) {
            if (t.tokenFile() != null && !t.tokenFile().isBlank()) {
                secretFile(f, "token " + t.name(), Path.of(t.tokenFile()));
            }
        }
        Set<String> flags = new TreeSet<>();
        for (String e : List.of("all", "beans", "env", "loggers", "refresh", "routes", "stop", "threaddump", "caches", "info",
                "metrics", "prometheus")) {
            if (environment.getProperty("endpoints." + e + ".sensitive", Boolean.class).orElse(true) == Boolean.FALSE) {
                flags.add("endpoints." + e + ".sensitive=false");
            }
        }
        if (!flags.isEmpty()) {
            f.note(String.join(", ", flags) + " has no effect: management endpoints need an OPERATOR token (/prometheus a VIEWER one), only /health is open");
        }
    }
}
