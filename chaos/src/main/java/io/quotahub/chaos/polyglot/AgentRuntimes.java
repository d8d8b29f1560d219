package io.quotahub.chaos.polyglot;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Whether this host can run the out-of-process agents: node ≥ 20 with the Node SDK built in
 * {@code clients/node/dist} (built here with {@code npm ci} and {@code npm run build} when it is
 * missing or older than its sources), and python3 ≥ 3.9 for the Python client (standard library
 * only, nothing to build). A missing runtime leaves that language out; a build that fails is an error.
 */
public final class AgentRuntimes {

    /** Whether a language's agents can run here; {@code what} names the runtime, or why not. */
    public record Availability(boolean usable, String what) {
        static Availability missing(String why) {
            return new Availability(false, why);
        }
    }

    /** {@code npm ci} or {@code npm run build} failed: the SDK as it stands does not build. */
    public static final class BuildFailed extends RuntimeException {
        BuildFailed(String message) {
            super(message);
        }
    }

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)");

    private AgentRuntimes() {
    }

    /**
     * node ≥ 20, and the Node SDK built (building it when stale, which needs npm).
     *
     * @throws BuildFailed when the build was needed and failed
     */
    public static Availability node(Path root, Consumer<String> log) {
        String node = version("node", "--version");
        if (node == null) {
            return Availability.missing("node is not installed");
        }
        if (major(node) < 20) {
            return Availability.missing("node " + node + " is older than 20");
        }
        Path client = root.resolve("clients/node");
        List<Path> sources = nodeSources(client, root.resolve("proto/src/main/protobuf"));
        Path built = client.resolve("dist/src/index.js");
        if (!stale(built, sources)) {
            return new Availability(true, "node " + node);
        }
        String npm = version("npm", "--version");
        if (npm == null) {
            return Availability.missing("node " + node + " is installed but npm is not, and " + root.relativize(built)
                    + " is missing or older than its sources");
        }
        log.accept("the Node SDK is not built or older than its sources (" + root.relativize(built) + "): building it with npm " + npm);
        Path lockCopy = client.resolve("node_modules/.package-lock.json");
        if (stale(lockCopy, List.of(client.resolve("package-lock.json")))) {
            run(client, log, 10, "npm", "ci", "--no-audit", "--no-fund");
        } else {
            log.accept("node_modules matches package-lock.json: no npm ci");
        }
        run(client, log, 5, "npm", "run", "build");
        return new Availability(true, "node " + node);
    }

    /** python3 ≥ 3.9. */
    public static Availability python() {
        String python = version("python3", "--version");
        if (python == null) {
            return Availability.missing("python3 is not installed");
        }
        Matcher m = VERSION.matcher(python);
        if (!m.find() || Integer.parseInt(m.group(1)) < 3 || (Integer.parseInt(m.group(1)) == 3 && Integer.parseInt(m.group(2)) < 9)) {
            return Availability.missing(python + " is older than 3.9");
        }
        return new Availability(true, python.toLowerCase());
    }

    /**
     * Whether {@code built} is missing or older than any of {@code sources} (a missing source is
     * ignored).
     */
    static boolean stale(Path built, List<Path> sources) {
        if (!Files.isRegularFile(built)) {
            return true;
        }
        try {
            FileTime at = Files.getLastModifiedTime(built);
            for (Path s : sources) {
                if (Files.isRegularFile(s) && Files.getLastModifiedTime(s).compareTo(at) > 0) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** What the Node SDK's build reads: its package files, its TypeScript sources, the protobuf schema. */
    static List<Path> nodeSources(Path client, Path protoDir) {
        List<Path> out = new ArrayList<>();
        for (String f : List.of("package.json", "package-lock.json", "tsconfig.json", "buf.gen.yaml")) {
            out.add(client.resolve(f));
        }
        for (Path dir : List.of(client.resolve("src"), protoDir)) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.filter(p -> p.toString().endsWith(".ts") || p.toString().endsWith(".proto")).forEach(out::add);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("cannot list " + dir, e);
                }
            }
        }
        return out;
    }

    static int major(String version) {
        Matcher m = VERSION.matcher(version);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** The first line a command prints (e.g. {@code v20.20.2}), or null when it cannot run or fails. */
    private static String version(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String first;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                first = r.readLine();
                while (r.readLine() != null) {
                    // drain
                }
            }
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 && first != null ? first.trim() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Runs a build step in {@code dir}, printing the command and its output. */
    private static void run(Path dir, Consumer<String> log, int minutes, String... command) {
        String shown = String.join(" ", command);
        log.accept("running in " + dir + ": " + shown);
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            Thread out = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        log.accept("  " + line);
                    }
                } catch (IOException ignored) {
                    // ended
                }
            }, "node-sdk-build");
            out.setDaemon(true);
            out.start();
            if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new BuildFailed(shown + " took longer than " + minutes + " min in " + dir);
            }
            out.join(5_000);
            if (p.exitValue() != 0) {
                throw new BuildFailed(shown + " failed with status " + p.exitValue() + " in " + dir + " (its output is in the log above)");
            }
        } catch (IOException e) {
            throw new BuildFailed(shown + " could not run in " + dir + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildFailed(shown + " interrupted");
        }
    }
}
