package io.quotahub.hub.security;

import io.quotahub.hub.config.ConfigException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The configured bearer tokens, kept only as SHA-256 digests: a presented token is digested and
 * compared with every entry in constant time ({@link MessageDigest#isEqual}), so neither the
 * comparison's time nor an early exit tells how much of a token was right, or which entry came
 * close. No token is kept, logged or put in a message; an entry is named by its name and index.
 * No entry at all means protected mode (see {@link ProtectedMode}).
 */
public final class BearerTokens {

    /** A token's owner as the HTTP layer sees it: the entry's name and role, never the token. */
    public record Holder(String name, Role role) {
    }

    private record Entry(Holder holder, byte[] digest) {
    }

    private final List<Entry> entries;

    private BearerTokens(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Reads every entry's token.
     *
     * @param env the process environment (System::getenv), for {@code token-env}
     * @throws ConfigException naming the first bad entry: no or a duplicate name, an unknown role,
     *                         not exactly one of token-file and token-env, a token unreadable or
     *                         empty, or the same token in two entries
     */
    public static BearerTokens read(List<TokenSettings> settings, UnaryOperator<String> env) {
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (TokenSettings s : settings.stream().sorted(java.util.Comparator.comparingInt(TokenSettings::index)).toList()) {
            String label = s.label();
            if (s.name() == null || !s.name().matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new ConfigException(label + ": name must be set to a simple name such as agents or grafana");
            }
            if (!names.add(s.name())) {
                throw new ConfigException(label + ": another entry has the same name");
            }
            Role role = Role.parse(s.role()).orElseThrow(() -> new ConfigException(label
                    + ": role must be AGENT, VIEWER or OPERATOR, was " + (s.role() == null ? "nothing" : "'" + s.role() + "'")));
            String token = token(s, label, env);
            byte[] digest = sha256(token);
            for (Entry other : entries) {
                if (MessageDigest.isEqual(other.digest(), digest)) {
                    throw new ConfigException(label + ": has the same token as the entry '" + other.holder().name()
                            + "'; give each entry its own token");
                }
            }
            entries.add(new Entry(new Holder(s.name(), role), digest));
        }
        return new BearerTokens(entries);
    }

    private static String token(TokenSettings s, String label, UnaryOperator<String> env) {
        boolean file = s.tokenFile() != null && !s.tokenFile().isBlank();
        boolean variable = s.tokenEnv() != null && !s.tokenEnv().isBlank();
        if (file == variable) {
            throw new ConfigException(label + ": set exactly one of token-file and token-env");
        }
        String token;
        if (file) {
            try {
                token = Files.readString(Path.of(s.tokenFile()), StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                // the exception names the path and the reason only, never the content
                throw new ConfigException(label + ": token-file " + s.tokenFile() + " cannot be read ("
                        + e.getClass().getSimpleName() + ")");
            }
            if (token.isEmpty()) {
                throw new ConfigException(label + ": token-file " + s.tokenFile() + " is empty");
            }
        } else {
            if (!s.tokenEnv().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new ConfigException(label + ": token-env must name an environment variable (the token itself belongs in it)");
            }
            String value = env.apply(s.tokenEnv());
            token = value == null ? "" : value.strip();
            if (token.isEmpty()) {
                throw new ConfigException(label + ": environment variable " + s.tokenEnv() + (value == null ? " is not set" : " is empty"));
            }
        }
        if (token.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            throw new ConfigException(label + ": the token holds white space or control characters (a header cannot carry them)");
        }
        return token;
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** No token configured: the hub runs in protected mode. */
    public boolean none() {
        return entries.isEmpty();
    }

    /** The configured entries (names and roles only). */
    public List<Holder> holders() {
        return entries.stream().map(Entry::holder).toList();
    }

    /** The holder of a presented token; every entry is compared, whatever matches. */
    public Optional<Holder> match(String presented) {
        if (presented == null) {
            return Optional.empty();
        }
        byte[] digest = sha256(presented);
        Holder found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.digest(), digest)) {
                found = e.holder();
            }
        }
        return Optional.ofNullable(found);
    }
}
