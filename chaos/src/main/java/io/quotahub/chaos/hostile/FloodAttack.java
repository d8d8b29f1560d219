package io.quotahub.chaos.hostile;

import io.quotahub.proto.Priority;

import java.util.concurrent.atomic.AtomicLong;

/** {@link HostileAgent.Attack#FLOOD}: acquires with priority HIGH (it is no high-priority agent), holding what it gets. */
final class FloodAttack {

    private final HostileWire wire;
    private final long callTokens;
    private final long keyTokenLimit;
    private final AtomicLong floods = new AtomicLong();

    FloodAttack(HostileWire wire, long callTokens, long keyTokenLimit) {
        this.wire = wire;
        this.callTokens = callTokens;
        this.keyTokenLimit = keyTokenLimit;
    }

    /** One acquire: a key's whole token limit, the most a call may use, or 1 token, in turn. */
    void tick() {
        long tokens = switch ((int) (floods.incrementAndGet() % 3)) {
            case 0 -> keyTokenLimit;
            case 1 -> callTokens;
            default -> 1;
        };
        wire.acquire("flood: acquire HIGH", wire.anyAcquireSubject(), tokens, Priority.HIGH, wire.held);
    }
}
