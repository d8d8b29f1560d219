package io.quotahub.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The users of a test server, made by the shipped {@code infra/nats/make-users} so that tests run
 * with the production permissions, plus the test's superuser that clients without credentials
 * become.
 */
final class ProductionUsers {

    private static final String SCRIPT = "infra/nats/make-users";
    private static final String TAIL = "  ]\n}\n";

    private ProductionUsers() {
    }

    /**
     * Writes {@code dir/nats-users.conf} and {@code dir/nats/<user>.userpass}; agents' credentials
     * are copied from {@code agentsFrom} first when given, so they keep their passwords.
     *
     * @return the config text that loads the users
     */
    static String write(Path dir, String hubId, List<String> agents, Path agentsFrom, String admin) throws IOException {
        if (agentsFrom != null) {
            Files.createDirectories(dir.resolve("nats"));
            for (String agent : agents) {
                Path from = agentsFrom.resolve("nats").resolve(agent + ".userpass");
                if (Files.exists(from)) {
                    Files.copy(from, dir.resolve("nats").resolve(agent + ".userpass"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        List<String> command = new ArrayList<>(List.of("bash", script().toString(), dir.toString(), "--hub", hubId));
        for (String agent : agents) {
            command.add("--agent");
            command.add(agent);
        }
        run(command, dir);
        Path conf = dir.resolve("nats-users.conf");
        String users = Files.readString(conf);
        if (!users.endsWith(TAIL)) {
            throw new IllegalStateException(SCRIPT + " wrote an unexpected " + conf + ": it must end with the users list");
        }
        String withAdmin = users.substring(0, users.length() - TAIL.length())
                + "    { user: \"" + admin + "\", password: \"" + UUID.randomUUID() + "\" }\n"
                + TAIL;
        Files.writeString(conf, withAdmin);
        return "include \"nats-users.conf\"\nno_auth_user: \"" + admin + "\"\n";
    }

    private static void run(List<String> command, Path dir) throws IOException {
        Path log = dir.resolve("make-users.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The shipped script, found from the working directory upwards (tests run in a module directory). */
    private static Path script() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve(SCRIPT);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new UncheckedIOException(new IOException(SCRIPT + " not found above " + Path.of("").toAbsolutePath()
                + ": run tests from the project tree"));
    }
}
