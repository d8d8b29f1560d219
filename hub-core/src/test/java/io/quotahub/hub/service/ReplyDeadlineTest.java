package io.quotahub.hub.service;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ReplyDeadlineTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ReplyDeadline deadline = new ReplyDeadline(Duration.ofSeconds(2), now::get);

    @Test
    void aReplyNotDoneInTimeGetsTheFallbackAndOnlyThen() {
        CompletableFuture<String> reply = deadline.within(new CompletableFuture<>(), "too late");

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1999));
        deadline.expireDue();
        assertFalse(reply.isDone(), "not due yet");

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
        deadline.expireDue();
        assertEquals("too late", reply.join());
        assertEquals(0, deadline.size());
    }

    @Test
    void aReplyDoneInTimeKeepsItsAnswerAndIsDropped() {
        CompletableFuture<String> reply = deadline.within(new CompletableFuture<>(), "too late");
        reply.complete("granted");
        deadline.expireDue();
        assertEquals(0, deadline.size(), "a done reply at the head is dropped before its deadline");

        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        deadline.expireDue();
        assertEquals("granted", reply.join());
    }

    @Test
    void repliesExpireInTheOrderTheyWereRegistered() {
        CompletableFuture<String> first = deadline.within(new CompletableFuture<>(), "first late");
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        CompletableFuture<String> second = deadline.within(new CompletableFuture<>(), "second late");

        now.addAndGet(TimeUnit.SECONDS.toNanos(1)); // the first is due, the second has a second left
        deadline.expireDue();
        assertEquals("first late", first.join());
        assertFalse(second.isDone());
        assertEquals(1, deadline.size());
    }

    @Test
    void aReplyAlreadyDoneIsReturnedAsItIsAndNotKept() {
        CompletableFuture<String> done = CompletableFuture.completedFuture("refused");
        assertSame(done, deadline.within(done, "too late"));
        assertEquals(0, deadline.size());
    }

    @Test
    void theRealTimerExpiresAReplyWithoutHelp() {
        ReplyDeadline real = new ReplyDeadline(Duration.ofMillis(20));
        CompletableFuture<String> reply = real.within(new CompletableFuture<>(), "too late");
        assertEquals("too late", reply.orTimeout(10, TimeUnit.SECONDS).join());
    }

    @Test
    void aTimeoutMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new ReplyDeadline(Duration.ZERO));
    }
}
