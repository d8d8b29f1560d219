package io.quotahub.hub.ledger;

import io.quotahub.engine.ExternalUse;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.LimitObservation;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.Priority;
import io.quotahub.engine.Settlement;
import io.quotahub.proto.Expire;
import io.quotahub.proto.Grant;
import io.quotahub.proto.HubUnits;
import io.quotahub.proto.KeyEnabled;
import io.quotahub.proto.KeyReset;
import io.quotahub.proto.LedgerEvent;
import io.quotahub.proto.LimitObserved;
import io.quotahub.proto.Settle;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Maps engine values to ledger events and back; the only place that knows both shapes. */
public final class LedgerEvents {

    private LedgerEvents() {
    }

    public static LedgerEvent grant(LeaseRecord lease) {
        return grant(lease, null);
    }

    /**
     * A grant; {@code shadow}: what enforcement would have answered, when a pool or limit in shadow
     * or canary mode let it through (null: nothing would have refused it).
     */
    public static LedgerEvent grant(LeaseRecord lease, io.quotahub.engine.Refusal shadow) {
        Grant.Builder grant = Grant.newBuilder()
                .setLeaseId(lease.leaseId())
                .setRequestId(lease.requestId())
                .setAgentId(lease.agentId())
                .setPool(lease.pool())
                .setKeyId(lease.keyId())
                .setTokens(lease.tokens())
                .setPriority(toProto(lease.priority()))
                .setExpiresAtEpochMs(lease.expiresAt().toEpochMilli())
                .setSecretHash(lease.holderDigest())
                .setPrincipal(lease.principal())
                .setBlockCalls(lease.blockCalls());
        if (shadow != null) {
            grant.setShadow(io.quotahub.proto.ShadowRefusal.newBuilder()
                    // the engine's codes and the wire's have the same names (WireMapperTest)
                    .setRefusalCode(io.quotahub.proto.Refused.Code.valueOf(shadow.code().name()))
                    .setKeyId(shadow.keyId() == null ? "" : shadow.keyId())
                    .setLimit(shadow.limit() == null ? "" : shadow.limit())
                    .setReason(shadow.message()));
        }
        return LedgerEvent.newBuilder()
                .setHubId(lease.hubId())
                .setAtEpochMs(lease.grantedAt().toEpochMilli())
                .setGrant(grant)
                .build();
    }

    public static LedgerEvent settle(String hubId, Settlement s) {
        LedgerEvent.Builder event = LedgerEvent.newBuilder()
                .setHubId(hubId)
                .setAtEpochMs(s.settledAt().toEpochMilli());
        if (s.outcome() == Outcome.EXPIRED) {
            return event.setExpire(Expire.newBuilder().setLeaseId(s.leaseId())).build();
        }
        return event.setSettle(Settle.newBuilder()
                        .setLeaseId(s.leaseId())
                        .setTokensUsed(s.tokensUsed())
                        .setOutcome(toProto(s.outcome()))
                        .setRetryAfterMs(s.retryAfter().toMillis())
                        .setCallsUsed(s.callsUsed()))
                .build();
    }

    /** The lease of a Grant event, with the digest of its secret ("" for a grant written before lease secrets). */
    public static LeaseRecord lease(LedgerEvent event) {
        Grant g = event.getGrant();
        return new LeaseRecord(g.getLeaseId(), event.getHubId(), g.getPool(), g.getKeyId(), g.getTokens(),
                fromProto(g.getPriority()), g.getAgentId(), g.getRequestId(),
                Instant.ofEpochMilli(event.getAtEpochMs()), Instant.ofEpochMilli(g.getExpiresAtEpochMs()), g.getSecretHash(),
                g.getPrincipal(), g.getBlockCalls());
    }

    /**
     * A reload: accepted by {@code hubId} ({@code followsHub} empty, with the operator and what
     * changed) or followed ({@code followsHub} the accepting hub). Ids, numbers and a digest only.
     */
    public static LedgerEvent configApplied(String hubId, long atEpochMs, long version, String digest, String followsHub,
                                            String principal, java.util.List<String> changes) {
        return LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(atEpochMs)
                .setConfigApplied(io.quotahub.proto.ConfigApplied.newBuilder().setVersion(version).setDigest(digest)
                        .setFollowsHub(followsHub).setPrincipal(principal).addAllChanges(changes)).build();
    }

    /** An operator rotated a key's secret (re-read from its source); never the secret. */
    public static LedgerEvent keyRotated(String hubId, String pool, String keyId, long atEpochMs, String principal) {
        return LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(atEpochMs)
                .setKeyRotated(io.quotahub.proto.KeyRotated.newBuilder().setPool(pool).setKeyId(keyId).setPrincipal(principal)).build();
    }

    /** An operator's reset of a key (cooldown, failure block, circuit, disabled), at {@code atEpochMs}. */
    public static LedgerEvent keyReset(String hubId, String pool, String keyId, long atEpochMs) {
        return keyReset(hubId, pool, keyId, atEpochMs, "");
    }

    /** An operator's reset of a key by {@code principal} (see {@code Grant.principal}). */
    public static LedgerEvent keyReset(String hubId, String pool, String keyId, long atEpochMs, String principal) {
        return LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(atEpochMs)
                .setKeyReset(KeyReset.newBuilder().setPool(pool).setKeyId(keyId).setPrincipal(principal)).build();
    }

    /** An operator's re-enabling of a key an auth failure disabled, by {@code principal}. */
    public static LedgerEvent keyEnabled(String hubId, String pool, String keyId, long atEpochMs, String principal) {
        return LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(atEpochMs)
                .setKeyEnabled(KeyEnabled.newBuilder().setPool(pool).setKeyId(keyId).setPrincipal(principal)).build();
    }

    /**
     * The settlement of a Settle or Expire event. An Expire charges the lease's estimate, which the
     * engine knows from the grant, so tokensUsed is -1 there (the engine reads it as "the estimate").
     */
    public static Settlement settlement(LedgerEvent event) {
        Instant at = Instant.ofEpochMilli(event.getAtEpochMs());
        if (event.hasExpire()) {
            return new Settlement(event.getExpire().getLeaseId(), -1, Outcome.EXPIRED, Duration.ZERO, at);
        }
        Settle s = event.getSettle();
        return new Settlement(s.getLeaseId(), s.getTokensUsed(), fromProto(s.getOutcome()),
                Duration.ofMillis(s.getRetryAfterMs()), at, s.getCallsUsed());
    }

    /** External use a hub booked (its own decision), for its ledger. */
    public static LedgerEvent externalUse(String hubId, ExternalUse e) {
        io.quotahub.proto.ExternalUse.Builder b = io.quotahub.proto.ExternalUse.newBuilder()
                .setPool(e.pool()).setKeyId(e.keyId()).setLimitIndex(e.limitIndex()).setUntilEpochMs(e.untilMillis());
        e.unitsByHub().forEach((hub, units) -> b.addUnits(HubUnits.newBuilder().setHubId(hub).setUnits(units)));
        return LedgerEvent.newBuilder().setHubId(hubId).setAtEpochMs(e.atMillis()).setExternalUse(b).build();
    }

    /** The external use of an ExternalUse event. */
    public static ExternalUse externalUse(LedgerEvent event) {
        io.quotahub.proto.ExternalUse e = event.getExternalUse();
        Map<String, Long> units = new LinkedHashMap<>();
        for (HubUnits u : e.getUnitsList()) {
            units.merge(u.getHubId(), u.getUnits(), Long::sum);
        }
        return new ExternalUse(e.getPool(), e.getKeyId(), e.getLimitIndex(), units, event.getAtEpochMs(), e.getUntilEpochMs(),
                event.getHubId());
    }

    /** A provider limit a hub observed (or an operator's clearing of one), for its ledger. */
    public static LedgerEvent limitObserved(LimitObservation o) {
        return LedgerEvent.newBuilder().setHubId(o.hubId()).setAtEpochMs(o.atMillis())
                .setLimitObserved(LimitObserved.newBuilder().setPool(o.pool()).setKeyId(o.keyId())
                        .setLimitIndex(o.limitIndex()).setObserved(o.observed()))
                .build();
    }

    /** The observation of a LimitObserved event. */
    public static LimitObservation limitObservation(LedgerEvent event) {
        LimitObserved o = event.getLimitObserved();
        return new LimitObservation(o.getPool(), o.getKeyId(), o.getLimitIndex(), o.getObserved(), event.getAtEpochMs(),
                event.getHubId());
    }

    public static io.quotahub.proto.Priority toProto(Priority p) {
        return switch (p) {
            case LOW -> io.quotahub.proto.Priority.LOW;
            case NORMAL -> io.quotahub.proto.Priority.NORMAL;
            case HIGH -> io.quotahub.proto.Priority.HIGH;
        };
    }

    /** Unspecified (an older or careless client) means NORMAL. */
    public static Priority fromProto(io.quotahub.proto.Priority p) {
        return switch (p) {
            case LOW -> Priority.LOW;
            case HIGH -> Priority.HIGH;
            default -> Priority.NORMAL;
        };
    }

    public static io.quotahub.proto.Outcome toProto(Outcome o) {
        return switch (o) {
            case OK -> io.quotahub.proto.Outcome.OK;
            case RATE_LIMITED -> io.quotahub.proto.Outcome.RATE_LIMITED;
            case ERROR -> io.quotahub.proto.Outcome.ERROR;
            case AUTH_FAILED -> io.quotahub.proto.Outcome.AUTH_FAILED;
            case EXPIRED -> io.quotahub.proto.Outcome.EXPIRED;
            case UNKNOWN -> io.quotahub.proto.Outcome.UNKNOWN;
        };
    }

    /** @return null for an outcome this hub does not know */
    public static Outcome fromProto(io.quotahub.proto.Outcome o) {
        return switch (o) {
            case OUTCOME_UNSPECIFIED, OK -> Outcome.OK;
            case RATE_LIMITED -> Outcome.RATE_LIMITED;
            case ERROR -> Outcome.ERROR;
            case AUTH_FAILED -> Outcome.AUTH_FAILED;
            case UNKNOWN -> Outcome.UNKNOWN;
            default -> null;
        };
    }
}
