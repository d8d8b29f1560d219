package io.quotahub.hub.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.util.List;

/**
 * The answer of {@code GET /api/v1/admin/audit}: the admin actions since {@code since}, of this
 * hub and (if it could be read) its peer, oldest first.
 *
 * @param hubId   the hub that answered
 * @param since   the start of the listing (ISO-8601)
 * @param actions the admin actions, newest last
 * @param sources one per hub whose audit stream was asked: whether it could be read
 */
@Serdeable
public record AuditBody(String hubId, String since, @JsonInclude(JsonInclude.Include.ALWAYS) List<Action> actions,
                        List<Source> sources) {

    /**
     * One admin action.
     *
     * @param at        when the hub wrote it (ISO-8601)
     * @param hub       the hub that wrote it to its ledger
     * @param ledgerSeq the sequence of the ledger message (stream {@code QH_LEDGER_<hub>}) holding it
     * @param principal who did it: {@code token:<name>}, {@code local} (protected mode), or
     *                  {@code unknown} if none was recorded
     * @param action    {@code key-enabled}, {@code key-reset} or {@code peer-declared-dead}
     * @param pool      with a key action: the key's pool
     * @param keyId     with a key action: the key
     * @param peer      with peer-declared-dead: the hub declared dead
     */
    @Serdeable
    public record Action(String at, String hub, long ledgerSeq, String principal, String action, @Nullable String pool,
                         @Nullable String keyId, @Nullable String peer) {
    }

    /**
     * A hub's audit stream as this request found it.
     *
     * @param reachable false when it could not be read (e.g. the peer is down): its actions are missing
     * @param truncated more actions were there than one answer holds: ask again from the last one's time
     * @param problem   why it could not be read (null when it could)
     */
    @Serdeable
    public record Source(String hub, boolean reachable, boolean truncated, @Nullable String problem) {
    }
}
