package io.quotahub.hub.fuzz;

import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Demand;
import io.quotahub.proto.Grant;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.HubAnnouncement;
import io.quotahub.proto.KeyReset;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.LedgerBatch;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.PoolDemand;
import io.quotahub.proto.Priority;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One hostile message for a NATS entrance of the hub, as a description that shrinks (jqwik) and
 * is made concrete only when sent, against the leases an honest agent holds at that moment: a
 * forged settle names a lease that is really open, a forged heartbeat lists real lease ids.
 */
record NatsInput(Entrance entrance, Payload payload, boolean withReply) {

    /** The subjects the hub listens on for agents. */
    enum Entrance {
        ACQUIRE_QUEUE(Subjects.ACQUIRE),
        ACQUIRE_DIRECT(Subjects.hubAcquire(FuzzHub.HUB_ID)),
        SETTLE_QUEUE(Subjects.SETTLE),
        SETTLE_DIRECT(Subjects.hubSettle(FuzzHub.HUB_ID)),
        HEARTBEAT(Subjects.HEARTBEAT);

        final String subject;

        Entrance(String subject) {
            this.subject = subject;
        }

        boolean acquire() {
            return this == ACQUIRE_QUEUE || this == ACQUIRE_DIRECT;
        }

        boolean settle() {
            return this == SETTLE_QUEUE || this == SETTLE_DIRECT;
        }
    }

    /** What a payload is made against: the leases an honest agent holds now. */
    record Forge(List<HeldLease> open, long nowMs) {

        HeldLease lease(int index) {
            return open.isEmpty() ? new HeldLease("main-0-0_nolease", "") : open.get(index % open.size());
        }
    }

    sealed interface Payload {
        byte[] bytes(Forge forge);
    }

    /** Random bytes, as they came. */
    record Garbage(byte[] bytes) implements Payload {
        public byte[] bytes(Forge forge) {
            return bytes;
        }

        @Override
        public String toString() {
            return "Garbage[" + bytes.length + " bytes: " + HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 48))
                    + (bytes.length > 48 ? "…" : "") + "]";
        }
    }

    /** Random bytes of a size at the hub's message bound or far beyond it (NATS carries up to 1 MB). */
    record LargeGarbage(Size size, long seed) implements Payload {
        enum Size {
            MAX_MINUS_ONE(FuzzHub.MAX_MESSAGE_BYTES - 1), MAX(FuzzHub.MAX_MESSAGE_BYTES), MAX_PLUS_ONE(FuzzHub.MAX_MESSAGE_BYTES + 1),
            QUARTER_MB(256 * 1024), ALMOST_1MB(1_000_000);

            final int bytes;

            Size(int bytes) {
                this.bytes = bytes;
            }
        }

        public byte[] bytes(Forge forge) {
            byte[] out = new byte[size.bytes];
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < out.length; i++) {
                out[i] = (byte) random.nextInt(256);
            }
            return out;
        }
    }

    /** A message built from a template, then mutated. */
    record Mutated(Template template, List<Mutation> mutations) implements Payload {
        public byte[] bytes(Forge forge) {
            byte[] out = template.build(forge);
            for (Mutation m : mutations) {
                out = m.apply(out);
            }
            return out;
        }
    }

    sealed interface Template {
        byte[] build(Forge forge);
    }

    /** An acquire of the fuzz pool with one field at an edge (NONE: a valid acquire, before mutation). */
    record AcquireTemplate(AcquireTweak tweak) implements Template {
        public byte[] build(Forge forge) {
            AcquireRequest.Builder b = AcquireRequest.newBuilder().setRequestId("hostile-request").setAgentId("hostile-agent")
                    .setPool(FuzzHub.POOL).setTokens(10).setPriority(Priority.NORMAL).setDeadlineEpochMs(forge.nowMs() + 3_600_000);
            switch (tweak) {
                case NONE -> { }
                case TOKENS_ZERO -> b.setTokens(0);
                case TOKENS_NEGATIVE -> b.setTokens(-10);
                case TOKENS_LONG_MAX -> b.setTokens(Long.MAX_VALUE);
                case TOKENS_LONG_MIN -> b.setTokens(Long.MIN_VALUE);
                case TOKENS_ABOVE_LARGEST_LIMIT -> b.setTokens(FuzzHub.TOKENS_PER_HOUR + 1);
                case DEADLINE_MISSING -> b.clearDeadlineEpochMs();
                case DEADLINE_PAST -> b.setDeadlineEpochMs(forge.nowMs() - 1_000);
                case DEADLINE_NEGATIVE -> b.setDeadlineEpochMs(Long.MIN_VALUE);
                case DEADLINE_LONG_MAX -> b.setDeadlineEpochMs(Long.MAX_VALUE);
                case AGENT_BLANK -> b.setAgentId(" ");
                case AGENT_OVER_BOUND -> b.setAgentId("a".repeat(FuzzHub.MAX_FIELD_BYTES + 1));
                case AGENT_60KB -> b.setAgentId("a".repeat(60_000));
                case AGENT_MULTIBYTE_OVER_BOUND -> b.setAgentId("é".repeat(FuzzHub.MAX_FIELD_BYTES / 2 + 1));
                case REQUEST_ID_BLANK -> b.setRequestId("");
                case REQUEST_ID_OVER_BOUND -> b.setRequestId("r".repeat(FuzzHub.MAX_FIELD_BYTES + 1));
                case POOL_UNKNOWN -> b.setPool("no-such-pool");
                case POOL_OVER_BOUND -> b.setPool("p".repeat(4_000));
                case PRIORITY_HIGH -> b.setPriority(Priority.HIGH);
                case PRIORITY_UNKNOWN_NUMBER -> b.setPriorityValue(99);
                case PADDED_OVER_MESSAGE_BOUND -> {
                    return Padding.padTo(b, FuzzHub.MAX_MESSAGE_BYTES + 1);
                }
            }
            return b.build().toByteArray();
        }
    }

    enum AcquireTweak {
        NONE, TOKENS_ZERO, TOKENS_NEGATIVE, TOKENS_LONG_MAX, TOKENS_LONG_MIN, TOKENS_ABOVE_LARGEST_LIMIT, DEADLINE_MISSING,
        DEADLINE_PAST, DEADLINE_NEGATIVE, DEADLINE_LONG_MAX, AGENT_BLANK, AGENT_OVER_BOUND, AGENT_60KB, AGENT_MULTIBYTE_OVER_BOUND,
        REQUEST_ID_BLANK, REQUEST_ID_OVER_BOUND, POOL_UNKNOWN, POOL_OVER_BOUND, PRIORITY_HIGH, PRIORITY_UNKNOWN_NUMBER,
        PADDED_OVER_MESSAGE_BOUND
    }

    /** How a sender who does not hold a lease guesses its secret (OWN: the holder's own secret). */
    enum SecretGuess {
        OWN, NONE, ONE_CHAR_CHANGED, HALF, OWN_PLUS_ONE_CHAR, ANOTHER_LEASES, RANDOM;

        String guess(Forge forge, int leaseIndex) {
            String own = forge.lease(leaseIndex).secret();
            return switch (this) {
                case OWN -> own;
                case NONE -> "";
                case ONE_CHAR_CHANGED -> own.isEmpty() ? "A" : (own.charAt(0) == 'A' ? "B" : "A") + own.substring(1);
                case HALF -> own.substring(0, own.length() / 2);
                case OWN_PLUS_ONE_CHAR -> own + "A";
                case ANOTHER_LEASES -> forge.lease(leaseIndex + 1).secret();
                case RANDOM -> "dGhpcyBpcyBub3QgYSBzZWNyZXQ";
            };
        }
    }

    /** A settle of an open lease with a guessed secret and one field at an edge. */
    record SettleTemplate(int lease, SecretGuess secret, SettleTweak tweak) implements Template {
        public byte[] build(Forge forge) {
            HeldLease target = forge.lease(lease);
            SettleRequest.Builder b = SettleRequest.newBuilder().setRequestId("hostile-settle").setLeaseId(target.leaseId())
                    .setLeaseSecret(secret.guess(forge, lease)).setAgentId("hostile-agent").setTokensUsed(5).setOutcome(Outcome.OK)
                    .setDeadlineEpochMs(forge.nowMs() + 3_600_000);
            switch (tweak) {
                case NONE -> { }
                case TOKENS_LONG_MAX -> b.setTokensUsed(Long.MAX_VALUE);
                case TOKENS_ABOVE_BOUND -> b.setTokensUsed(4 * FuzzHub.TOKENS_PER_HOUR + 1);
                case TOKENS_NEGATIVE -> b.setTokensUsed(-1);
                case TOKENS_LONG_MIN -> b.setTokensUsed(Long.MIN_VALUE);
                case OUTCOME_EXPIRED -> b.setOutcome(Outcome.EXPIRED);
                case OUTCOME_UNKNOWN_NUMBER -> b.setOutcomeValue(42);
                case AUTH_FAILED -> b.setOutcome(Outcome.AUTH_FAILED);
                case ERROR -> b.setOutcome(Outcome.ERROR).setDetail("boom");
                case RATE_LIMITED_TEN_YEARS -> b.setOutcome(Outcome.RATE_LIMITED).setRetryAfterMs(315_360_000_000L);
                case RATE_LIMITED_LONG_MAX -> b.setOutcome(Outcome.RATE_LIMITED).setRetryAfterMs(Long.MAX_VALUE);
                case RETRY_AFTER_NEGATIVE -> b.setOutcome(Outcome.RATE_LIMITED).setRetryAfterMs(-1);
                case DETAIL_OVER_BOUND -> b.setOutcome(Outcome.ERROR).setDetail("d".repeat(FuzzHub.MAX_FIELD_BYTES + 1));
                case AGENT_OVER_BOUND -> b.setAgentId("a".repeat(FuzzHub.MAX_FIELD_BYTES + 1));
                case REQUEST_ID_OVER_BOUND -> b.setRequestId("r".repeat(FuzzHub.MAX_FIELD_BYTES + 1));
                case DEADLINE_PAST -> b.setDeadlineEpochMs(forge.nowMs() - 1_000);
                case LEASE_ID_OVER_BOUND -> b.setLeaseId(target.leaseId() + "x".repeat(10_000));
                case PADDED_OVER_MESSAGE_BOUND -> {
                    return Padding.padTo(b, FuzzHub.MAX_MESSAGE_BYTES + 1);
                }
            }
            return b.build().toByteArray();
        }
    }

    enum SettleTweak {
        NONE, TOKENS_LONG_MAX, TOKENS_ABOVE_BOUND, TOKENS_NEGATIVE, TOKENS_LONG_MIN, OUTCOME_EXPIRED, OUTCOME_UNKNOWN_NUMBER,
        AUTH_FAILED, ERROR, RATE_LIMITED_TEN_YEARS, RATE_LIMITED_LONG_MAX, RETRY_AFTER_NEGATIVE, DETAIL_OVER_BOUND,
        AGENT_OVER_BOUND, REQUEST_ID_OVER_BOUND, DEADLINE_PAST, LEASE_ID_OVER_BOUND, PADDED_OVER_MESSAGE_BOUND
    }

    /** Who a heartbeat claims to come from. */
    enum Sender {
        STRANGER, HONEST_NATS_AGENT, HONEST_HTTP_AGENT, BLANK, OVER_BOUND, HUGE;

        String agentId() {
            return switch (this) {
                case STRANGER -> "hostile-agent";
                case HONEST_NATS_AGENT -> HonestAgent.NATS_AGENT;
                case HONEST_HTTP_AGENT -> HonestAgent.HTTP_AGENT;
                case BLANK -> "  ";
                case OVER_BOUND -> "h".repeat(FuzzHub.MAX_FIELD_BYTES + 1);
                case HUGE -> "h".repeat(50_000);
            };
        }
    }

    /**
     * A heartbeat listing the honest agent's open leases, by id (the old, ignored field) and with
     * guessed secrets, {@code copies} times over.
     */
    record HeartbeatTemplate(Sender sender, SecretGuess secret, int copies) implements Template {
        public byte[] build(Forge forge) {
            Heartbeat.Builder b = Heartbeat.newBuilder().setAgentId(sender.agentId()).setSentAtEpochMs(forge.nowMs());
            for (int c = 0; c < copies; c++) {
                for (int i = 0; i < forge.open().size(); i++) {
                    HeldLease lease = forge.lease(i);
                    b.addLeaseIds(lease.leaseId());
                    b.addLeases(LeaseProof.newBuilder().setLeaseId(lease.leaseId()).setLeaseSecret(secret.guess(forge, i)));
                }
            }
            return b.build().toByteArray();
        }
    }

    /** A well-formed message of another kind than the entrance expects. */
    record OtherKind(Kind kind) implements Template {
        enum Kind { ACQUIRE, SETTLE_BY_HOLDER, HEARTBEAT_WITH_PROOFS, LEDGER_GRANT, LEDGER_KEY_RESET, DEMAND, ANNOUNCEMENT }

        public byte[] build(Forge forge) {
            return switch (kind) {
                case ACQUIRE -> new AcquireTemplate(AcquireTweak.NONE).build(forge);
                case SETTLE_BY_HOLDER -> new SettleTemplate(0, SecretGuess.OWN, SettleTweak.NONE).build(forge);
                case HEARTBEAT_WITH_PROOFS -> new HeartbeatTemplate(Sender.STRANGER, SecretGuess.OWN, 1).build(forge);
                case LEDGER_GRANT -> LedgerBatch.newBuilder().addEvents(LedgerEvent.newBuilder().setHubId(FuzzHub.HUB_ID)
                        .setAtEpochMs(forge.nowMs()).setGrant(Grant.newBuilder().setLeaseId("main-forged-1_x").setRequestId("r")
                                .setAgentId("a").setPool(FuzzHub.POOL).setKeyId("k1").setTokens(1_000_000)
                                .setExpiresAtEpochMs(forge.nowMs() + 3_600_000))).build().toByteArray();
                case LEDGER_KEY_RESET -> LedgerEvent.newBuilder().setHubId(FuzzHub.HUB_ID).setAtEpochMs(forge.nowMs())
                        .setKeyReset(KeyReset.newBuilder().setPool(FuzzHub.POOL).setKeyId("k1")).build().toByteArray();
                case DEMAND -> Demand.newBuilder().setHubId("edge").setSentAtEpochMs(forge.nowMs())
                        .addPools(PoolDemand.newBuilder().setPool(FuzzHub.POOL).setGrantedPerSecond(Double.NaN)).build().toByteArray();
                case ANNOUNCEMENT -> HubAnnouncement.newBuilder().setHubId("edge").setReady(false).build().toByteArray();
            };
        }
    }

    // ---- generators

    static Arbitrary<byte[]> garbageBytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(512);
    }

    static Arbitrary<Payload> garbage() {
        return Arbitraries.frequencyOf(
                Tuple.of(8, garbageBytes().map(Garbage::new)),
                Tuple.of(1, Combinators.combine(Arbitraries.of(LargeGarbage.Size.class), Arbitraries.longs()).as(LargeGarbage::new)));
    }

    static Arbitrary<Payload> mutated(Arbitrary<? extends Template> templates) {
        return Combinators.combine(templates, Mutation.any().list().ofMaxSize(3)).as(Mutated::new);
    }

    static Arbitrary<Template> acquireTemplates() {
        return Arbitraries.of(AcquireTweak.class).map(AcquireTemplate::new);
    }

    static Arbitrary<Template> settleTemplates() {
        return Combinators.combine(Arbitraries.integers().between(0, 7), Arbitraries.of(SecretGuess.class),
                Arbitraries.of(SettleTweak.class)).as(SettleTemplate::new);
    }

    static Arbitrary<Template> heartbeatTemplates() {
        return Combinators.combine(Arbitraries.of(Sender.class), Arbitraries.of(SecretGuess.class),
                Arbitraries.integers().between(1, 3)).as(HeartbeatTemplate::new);
    }

    static Arbitrary<Template> otherKinds() {
        return Arbitraries.of(OtherKind.Kind.class).map(OtherKind::new);
    }

    /** Payloads for one entrance: mostly its own kind of message, mutated, beside garbage and other kinds. */
    static Arbitrary<Payload> payloadsFor(Arbitrary<Template> ownKind) {
        return Arbitraries.frequencyOf(
                Tuple.of(6, mutated(ownKind)),
                Tuple.of(2, mutated(otherKinds())),
                Tuple.of(3, garbage()));
    }

    static Arbitrary<NatsInput> inputs(Arbitrary<Entrance> entrances, Arbitrary<Payload> payloads) {
        return Combinators.combine(entrances, payloads, Arbitraries.of(true, true, true, false)).as(NatsInput::new);
    }
}
