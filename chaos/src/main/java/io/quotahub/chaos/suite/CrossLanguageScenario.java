package io.quotahub.chaos.suite;

import io.quotahub.chaos.checker.LanguageCheck;
import io.quotahub.chaos.cluster.ChaosCluster;
import io.quotahub.chaos.nemesis.Fault;
import io.quotahub.chaos.nemesis.FaultKind;
import io.quotahub.chaos.polyglot.AgentProcess;
import io.quotahub.chaos.polyglot.AgentRuntimes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code cross-language}: Java, Node and Python agents share the {@code chaos} pool on both
 * machines while a hub (side from the seed) is killed with {@code kill -9} and started again. One
 * agent per language and side: the Java SDK in this JVM ({@code java-main-1}), the TypeScript SDK
 * over NATS ({@code node-main-1}, chaos/agents/node-agent.mjs) and the Python client over HTTP
 * ({@code python-main-1}, chaos/agents/python-agent.py) as processes whose JSON lines go into the
 * record. Judged by every check of {@link io.quotahub.chaos.checker.ScenarioChecker} and by
 * {@link LanguageCheck}: each language keeps getting leases, its gap within the kill's bound. A
 * language whose runtime is missing here is left out with a note.
 */
final class CrossLanguageScenario implements Scenario {

    static final String POOL = "chaos";
    /** Six agents thinking 600 ms want about 40 % of the pool, as the nemesis scenarios' workload does. */
    private static final long THINK_MS = 600;
    private static final Duration READY_WITHIN = Duration.ofSeconds(20);
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    @Override
    public String name() {
        return "cross-language";
    }

    @Override
    public ScenarioResult play(SuiteRun run) {
        List<String> failures = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<String, String> languages = new LinkedHashMap<>();
        languages.put("java", "java " + Runtime.version().feature());
        if (run.root == null) {
            notes.add("no project root: the Node and Python agents were left out");
        } else {
            try {
                available(languages, notes, "node", AgentRuntimes.node(run.root, line -> run.log.accept("node sdk: " + line)));
            } catch (AgentRuntimes.BuildFailed e) {
                failures.add("the Node SDK did not build: " + e.getMessage());
            }
            available(languages, notes, "python", AgentRuntimes.python());
        }

        long start = Clock.now();
        List<ChaosAgent> javaAgents = new ArrayList<>();
        List<AgentProcess> processes = new ArrayList<>();
        Fault f;
        try {
            for (String side : ChaosCluster.HUBS) {
                javaAgents.add(new ChaosAgent("java-" + side + "-1", side, run.cluster.agentClient(side), POOL, run.rec, run.caller,
                        THINK_MS));
                if (languages.containsKey("node")) {
                    processes.add(startNode(run, side));
                }
                if (languages.containsKey("python")) {
                    processes.add(startPython(run, side));
                }
            }
            for (AgentProcess p : processes) {
                if (!p.awaitReady(READY_WITHIN)) {
                    failures.add(p.agent() + " was not ready within " + READY_WITHIN.toSeconds() + " s");
                }
            }
            javaAgents.forEach(a -> a.demand(true));
            Clock.sleep(run.profile.settleMillis());
            // parity of a whole draw: a fresh Random's first nextBoolean() is true for every small seed
            String side = ChaosCluster.HUBS.get(Long.bitCount(run.random.nextLong()) % 2);
            f = run.nemesis.inject(FaultKind.KILL_HUB, side);
            Clock.sleep(run.profile.holdMillis());
            run.healAndConverge(f);
            Clock.sleep(run.profile.settleMillis());
        } finally {
            javaAgents.forEach(a -> a.demand(false));
            processes.forEach(AgentProcess::endInput);
            processes.forEach(p -> p.stop(STOP_GRACE));
            javaAgents.forEach(ChaosAgent::close);
        }
        long end = Clock.now();
        ScenarioResult r = run.check(name(), start, end, List.of(POOL), List.of(f));
        LanguageCheck.judge(r, run.checker, run.rec, POOL, f, languages, start, end);
        processes.forEach(p -> r.failures.addAll(p.problems()));
        r.failures.addAll(failures);
        r.notes.addAll(notes);
        return r;
    }

    private static void available(Map<String, String> languages, List<String> notes, String language,
            AgentRuntimes.Availability a) {
        if (a.usable()) {
            languages.put(language, a.what());
        } else {
            notes.add(language + " agents left out: " + a.what());
        }
    }

    /** {@code node chaos/agents/node-agent.mjs}: the TypeScript SDK from clients/node/dist, the agents' NATS user, its own server first. */
    private static AgentProcess startNode(SuiteRun run, String side) {
        Path credentials = run.cluster.agentCredentials();
        Map<String, String> env = credentials == null ? Map.of() : Map.of("QH_AGENT_USERPASS", credentials.toString());
        String id = "node-" + side + "-1";
        return AgentProcess.start(id, List.of("node", run.root.resolve("chaos/agents/node-agent.mjs").toString(),
                "--agent", id, "--side", side, "--pool", POOL,
                "--servers", String.join(",", run.cluster.agentServers(side)),
                "--provider", run.caller.provider().toString(), "--think-ms", Long.toString(THINK_MS)), env, run.root, run.rec, run.log);
    }

    /** {@code python3 chaos/agents/python-agent.py}: clients/python over HTTP with the AGENT token, its own hub first. */
    private static AgentProcess startPython(SuiteRun run, String side) {
        Map<String, String> env = new HashMap<>();
        String path = System.getenv("PYTHONPATH");
        env.put("PYTHONPATH", run.root.resolve("clients/python") + (path == null || path.isEmpty() ? "" : ":" + path));
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("PYTHONUNBUFFERED", "1");
        env.put("QH_AGENT_TOKEN", run.cluster.token("AGENT"));
        String id = "python-" + side + "-1";
        return AgentProcess.start(id, List.of("python3", run.root.resolve("chaos/agents/python-agent.py").toString(),
                "--agent", id, "--side", side, "--pool", POOL,
                "--hubs", run.cluster.hubUrl(side) + "," + run.cluster.hubUrl(ChaosCluster.peerOf(side)),
                "--provider", run.caller.provider().toString(), "--think-ms", Long.toString(THINK_MS)), env, run.root, run.rec, run.log);
    }
}
