package io.quotahub.chaos.polyglot;

import io.quotahub.chaos.ChaosJson;
import io.quotahub.chaos.suite.Recorder;

import java.util.Map;

/** Reads the lines an out-of-process agent prints into {@link AgentEvent}s (the format is there). */
public final class AgentLine {

    private AgentLine() {
    }

    /**
     * Reads one line.
     *
     * @throws IllegalArgumentException if it is not a JSON object, has no {@code event} or
     *                                  {@code agent}, an unknown event, or misses a field its event needs
     */
    public static AgentEvent parse(String line) {
        Object tree = ChaosJson.parse(line);
        if (!(tree instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("not a JSON object: " + abbreviate(line));
        }
        Fields f = new Fields(ChaosJson.obj(tree), line);
        String agent = f.text("agent");
        return switch (f.text("event")) {
            case "ready" -> new AgentEvent.Ready(agent, f.optionalText("runtime"));
            case "stopped" -> new AgentEvent.Stopped(agent);
            case "lease" -> new AgentEvent.Leased(new Recorder.LeaseRec(agent, f.text("side"), f.text("pool"), f.text("hub"), f.text("key"),
                    f.text("lease"), f.epochNanos("wantedSince"), f.epochNanos("at")));
            case "call" -> new AgentEvent.Called(new Recorder.CallRec(agent, f.text("key"), f.epochNanos("at"), (int) f.number("status")));
            case "settle" -> new AgentEvent.Settled(new Recorder.SettleRec(agent, f.text("pool"), f.text("lease"), f.text("outcome"),
                    (long) f.number("tokens"), f.epochNanos("at")));
            case "miss" -> new AgentEvent.Missed(new Recorder.Miss(agent, f.text("pool"), f.epochNanos("at"), f.text("kind"), f.text("code"),
                    (long) f.number("retryAfterMs"), Math.round(f.number("latencyMs") * 1_000_000d)), f.optionalText("message"));
            case "want" -> new AgentEvent.WantedUnmet(new Recorder.Want(agent, f.text("side"), f.text("pool"), f.epochNanos("from"),
                    f.epochNanos("to"), false));
            default -> throw new IllegalArgumentException("unknown event '" + f.text("event") + "': " + abbreviate(line));
        };
    }

    private static String abbreviate(String line) {
        return line.length() <= 200 ? line : line.substring(0, 200) + "…";
    }

    /** The fields of one line, each required unless read with {@code optional…}. */
    private record Fields(Map<String, Object> map, String line) {

        String text(String name) {
            Object v = map.get(name);
            if (!(v instanceof String s) || s.isEmpty()) {
                throw new IllegalArgumentException("field '" + name + "' missing or not a string: " + abbreviate(line));
            }
            return s;
        }

        String optionalText(String name) {
            return map.get(name) instanceof String s ? s : "";
        }

        double number(String name) {
            if (!(map.get(name) instanceof Number n)) {
                throw new IllegalArgumentException("field '" + name + "' missing or not a number: " + abbreviate(line));
            }
            return n.doubleValue();
        }

        /** Epoch milliseconds (a fraction keeps microseconds) as the suite's epoch nanoseconds. */
        long epochNanos(String name) {
            double millis = number(name);
            long whole = (long) Math.floor(millis);
            return whole * 1_000_000L + Math.round((millis - whole) * 1_000_000d);
        }
    }
}
