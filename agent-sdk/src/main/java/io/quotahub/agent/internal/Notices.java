package io.quotahub.agent.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The notices hubs attach to acquire replies (e.g. "priority HIGH is reserved for the pool's
 * high-priority-agents: treated as NORMAL"), logged once per pool and notice text: an agent that
 * makes thousands of calls learns it once instead of flooding its log. Remembers a bounded number
 * of notices; past the bound a new notice is logged at DEBUG only (a hub that varied its text
 * would otherwise grow this set without end).
 */
final class Notices {

    static final int MAX_REMEMBERED = 256;
    /** A notice longer than this is cut in the log (it is a hub's short sentence, never a secret). */
    static final int MAX_LOGGED_CHARS = 512;

    private final System.Logger log;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    Notices(System.Logger log) {
        this.log = log;
    }

    /**
     * Logs {@code notice} at WARNING unless it was logged for {@code pool} before.
     *
     * @param pool   the pool asked for
     * @param hubId  the hub that answered
     * @param notice the reply's notice; nothing happens when it is empty
     */
    void report(String pool, String hubId, String notice) {
        if (notice == null || notice.isBlank()) {
            return;
        }
        String text = notice.length() > MAX_LOGGED_CHARS ? notice.substring(0, MAX_LOGGED_CHARS) + "…" : notice;
        String message = "hub " + hubId + " on pool '" + pool + "': " + text;
        String key = pool + '\n' + text;
        if (logged.contains(key)) {
            return;
        }
        if (logged.size() >= MAX_REMEMBERED) {
            log.log(System.Logger.Level.DEBUG, message);
            return;
        }
        if (logged.add(key)) {
            log.log(System.Logger.Level.WARNING, message + " (logged once per pool and notice)");
        }
    }
}
