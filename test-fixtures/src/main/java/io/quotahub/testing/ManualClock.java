package io.quotahub.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when told to: tests run minutes and days of windows in milliseconds, and
 * the engine benchmarks decide at a fixed instant. Thread-safe; {@link #withZone} returns a copy
 * that moves on its own.
 */
public final class ManualClock extends Clock {

    private final AtomicLong millis;
    private final ZoneId zone;

    public ManualClock(Instant start) {
        this(start.toEpochMilli(), ZoneOffset.UTC);
    }

    private ManualClock(long millis, ZoneId zone) {
        this.millis = new AtomicLong(millis);
        this.zone = zone;
    }

    public void advance(Duration by) {
        millis.addAndGet(by.toMillis());
    }

    public void set(Instant to) {
        millis.set(to.toEpochMilli());
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId newZone) {
        return new ManualClock(millis.get(), newZone);
    }
}
