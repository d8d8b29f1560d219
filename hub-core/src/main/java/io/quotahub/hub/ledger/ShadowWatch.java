package io.quotahub.hub.ledger;

import io.quotahub.proto.ShadowRefusal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The would-be refusals of pools and limits in shadow or canary mode, as the ledgers hold them (a
 * {@code Grant}'s {@code shadow} field): this hub's own grants as it makes them and replays them,
 * the peer's as it folds them, so both hubs show the same counts once they have folded the same
 * events (counted since the hub started, over the ledger it replayed). Per pool, key and code: how
 * many, and the latest one's reason. For the dashboard and {@code GET /api/v1/state}; the metric
 * {@code quotahub_shadow_refusals_total} counts only each hub's own decisions, so a sum over hubs
 * counts each once.
 */
public final class ShadowWatch {

    /** At most this many (pool, key, code) rows; configured pools and keys stay far below it. */
    static final int MAX_ROWS = 4096;

    /** One (pool, key, code): how many grants it would have refused, and the latest. */
    public record Row(String pool, String keyId, String code, String limit, long count, String lastReason, Instant lastAt,
                      String lastHub) {
    }

    private final Map<String, Row> rows = new LinkedHashMap<>();

    /** Records a grant's shadow refusal, written by {@code hubId} at {@code atMillis}. */
    public synchronized void record(String hubId, String pool, String keyId, ShadowRefusal refusal, long atMillis) {
        String code = refusal.getRefusalCode().name();
        String key = pool + '\u0000' + keyId + '\u0000' + code;
        Row before = rows.get(key);
        if (before == null && rows.size() >= MAX_ROWS) {
            return;
        }
        Instant at = Instant.ofEpochMilli(atMillis);
        boolean newer = before == null || !at.isBefore(before.lastAt());
        rows.put(key, new Row(pool, keyId, code, newer ? refusal.getLimit() : before.limit(), (before == null ? 0 : before.count()) + 1,
                newer ? refusal.getReason() : before.lastReason(), newer ? at : before.lastAt(), newer ? hubId : before.lastHub()));
    }

    /** Every row, by pool, key and code. */
    public synchronized List<Row> rows() {
        List<Row> out = new ArrayList<>(rows.values());
        out.sort(Comparator.comparing(Row::pool).thenComparing(Row::keyId).thenComparing(Row::code));
        return out;
    }
}
