package io.quotahub.hub.diagnostics;

import io.quotahub.engine.CircuitState;
import io.quotahub.engine.Health;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.LimitView;
import io.quotahub.engine.view.PoolView;

import java.time.Clock;
import java.time.Duration;

/**
 * Check 7: how the provider has been answering, per key, from the outcomes agents settled
 * (the engine's counters since the hub started: granted, rate-limited, errors) and the key's
 * state now (cooldown, circuit), and what the provider reported: a limit lower than the configured
 * one → WARN (configured and observed values, never a secret), external use booked → a note. 429s
 * reported or errors → WARN, circuit OPEN → FAIL.
 */
final class UpstreamProviderCheck implements DiagnosticCheck {

    private final QuotaEngine engine;
    private final Clock clock;

    UpstreamProviderCheck(QuotaEngine engine, Clock clock) {
        this.engine = engine;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "upstream-provider";
    }

    @Override
    public String title() {
        return "Upstream provider";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        long granted = 0;
        long limited = 0;
        long errors = 0;
        for (PoolView pool : engine.view().pools()) {
            for (KeyView k : pool.keys()) {
                granted += k.granted();
                limited += k.rateLimited();
                errors += k.errors();
                String who = "Key " + k.id() + " of pool " + pool.name();
                String counts = k.granted() + " granted, " + k.rateLimited() + " answered 429, " + k.errors() + " failed since the hub started";
                if (k.circuit() == CircuitState.OPEN) {
                    f.fail(who + ": circuit OPEN after consecutive provider failures (" + counts + "); the key is blocked",
                            "Check the provider's status page and the agents' error details for that key; it is probed again (HALF_OPEN) after 30 s");
                } else if (k.circuit() == CircuitState.HALF_OPEN) {
                    f.warn(who + ": circuit HALF_OPEN, one probe call is allowed (" + counts + ")",
                            "Watch whether the probe succeeds; if the circuit opens again, investigate the provider");
                } else if (k.rateLimited() > 0 || k.errors() > 0) {
                    f.warn(who + ": the provider answered " + k.rateLimited() + " time(s) with 429 and " + k.errors()
                                    + " time(s) with an error out of " + k.granted() + " grants since the hub started",
                            "A 429 means the provider's real limit is lower than configured or the key is shared outside QuotaHub: lower the key's limits or stop other users of the key");
                }
                if (k.cooldownUntil() != null && k.cooldownUntil().isAfter(clock.instant())) {
                    long ms = Duration.between(clock.instant(), k.cooldownUntil()).toMillis();
                    f.warn(who + " is cooling down for another " + ms + " ms after a provider 429",
                            "Nothing to do unless cooldowns repeat; then lower the key's configured limits");
                }
                for (LimitView l : k.limits()) {
                    if (l.observedLimit() != null) {
                        boolean learned = l.enforced() < l.capacity();
                        f.warn(who + ": the provider reports a " + l.kind().label() + " limit of " + l.observedLimit()
                                        + " per " + l.per() + " where " + l.capacity() + " is configured (seen " + l.observedAt() + ")"
                                        + (learned ? "; the hubs enforce " + l.enforced() + " (learn-limits)" : ""),
                                learned ? "Lower the configured limit to " + l.observedLimit() + " to match, or reset the key once the provider raised it again"
                                        : "Lower the configured limit to " + l.observedLimit() + ", or set learn-limits: true on the pool so the hubs follow the provider");
                    }
                }
                if (k.externalBooked() > 0) {
                    f.note(who + ": " + k.externalBooked() + " unit(s) of use outside QuotaHub booked from the provider's reports since the hub started");
                }
                if (k.health() == Health.UNHEALTHY || k.health() == Health.DEAD) {
                    f.warn(who + " is " + k.health(), "Check the provider's answers for that key in the agents' logs");
                }
            }
        }
        f.note("Across all keys: " + granted + " granted, " + limited + " answered 429, " + errors + " failed since the hub started");
        return f.result("No action needed: the provider has not answered 429 or failed");
    }
}
