package io.quotahub.hub.fuzz;

import com.google.protobuf.InvalidProtocolBufferException;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleRequest;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * The test's own statement of which NATS messages the hub must act on. Everything else is
 * hostile: the hub answers it (if it has a reply subject) and changes nothing.
 *
 * @param pool           the only configured pool
 * @param largestTokens  the most tokens one acquire may reserve (the pool's largest token limit)
 * @param settleBound    the most tokens one settle may report (the pool's max-tokens-per-call)
 * @param maxMessageBytes the largest message the hub reads
 * @param maxFieldBytes  the longest agent id, request id, pool, key id and failure text
 */
record WireContract(String pool, long largestTokens, long settleBound, int maxMessageBytes, int maxFieldBytes) {

    /** A well-formed acquire of a configured pool within every bound, not yet past its deadline. */
    boolean validAcquire(byte[] bytes, long nowMs) {
        Optional<AcquireRequest> parsed = parse(bytes, AcquireRequest::parseFrom);
        if (parsed.isEmpty()) {
            return false;
        }
        AcquireRequest r = parsed.get();
        return r.getPool().equals(pool)
                && r.getTokens() >= 1 && r.getTokens() <= largestTokens
                && r.getDeadlineEpochMs() > nowMs
                && idField(r.getRequestId()) && idField(r.getAgentId());
    }

    /**
     * A well-formed settle of an open lease by its holder (the lease's own secret), within every
     * bound. A settle of a lease that is not open changes nothing whatever it says.
     */
    boolean validSettle(byte[] bytes, Map<String, HeldLease> open, long nowMs) {
        Optional<SettleRequest> parsed = parse(bytes, SettleRequest::parseFrom);
        if (parsed.isEmpty()) {
            return false;
        }
        SettleRequest s = parsed.get();
        HeldLease lease = open.get(s.getLeaseId());
        return lease != null && lease.provenBy(s.getLeaseSecret())
                && s.getTokensUsed() >= 0 && s.getTokensUsed() <= settleBound
                && validOutcome(s.getOutcomeValue())
                && s.getRetryAfterMs() >= 0
                && (s.getDeadlineEpochMs() == 0 || s.getDeadlineEpochMs() > nowMs)
                && shortField(s.getRequestId()) && shortField(s.getAgentId()) && shortField(s.getDetail());
    }

    /** A heartbeat that proves holding at least one open lease: the hub may act on it. */
    boolean provingHeartbeat(byte[] bytes, Map<String, HeldLease> open) {
        Optional<Heartbeat> parsed = parse(bytes, Heartbeat::parseFrom);
        if (parsed.isEmpty()) {
            return false;
        }
        for (LeaseProof proof : parsed.get().getLeasesList()) {
            HeldLease lease = open.get(proof.getLeaseId());
            if (lease != null && lease.provenBy(proof.getLeaseSecret())) {
                return true;
            }
        }
        return false;
    }

    /** Whether the hub can read the bytes as a message at all (size and protobuf). */
    boolean readable(byte[] bytes, Parser<?> parser) {
        return parse(bytes, parser).isPresent();
    }

    static boolean validOutcome(int number) {
        return number == Outcome.OUTCOME_UNSPECIFIED_VALUE || number == Outcome.OK_VALUE || number == Outcome.RATE_LIMITED_VALUE
                || number == Outcome.ERROR_VALUE || number == Outcome.AUTH_FAILED_VALUE;
    }

    private boolean idField(String s) {
        return !s.isBlank() && shortField(s);
    }

    boolean shortField(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length <= maxFieldBytes;
    }

    private <T> Optional<T> parse(byte[] bytes, Parser<T> parser) {
        if (bytes.length > maxMessageBytes) {
            return Optional.empty();
        }
        try {
            return Optional.of(parser.parse(bytes));
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }

    @FunctionalInterface
    interface Parser<T> {
        T parse(byte[] bytes) throws InvalidProtocolBufferException;
    }
}
