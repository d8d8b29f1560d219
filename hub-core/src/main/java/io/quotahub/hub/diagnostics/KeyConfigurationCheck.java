package io.quotahub.hub.diagnostics;

import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.view.KeyView;
import io.quotahub.engine.view.PoolView;
import io.quotahub.hub.config.PoolsConfig;

import java.util.List;

/**
 * Check 1: every pool has a usable key. Looks at the keys left out at start-up (secret not
 * readable, {@code PoolsConfig.problems}), pools with no usable key ({@code unusablePools}) and
 * keys the engine disabled after an auth failure. FAIL when a pool cannot serve, WARN when a key
 * is left out or disabled.
 */
final class KeyConfigurationCheck implements DiagnosticCheck {

    private final PoolsConfig pools;
    private final QuotaEngine engine;

    KeyConfigurationCheck(PoolsConfig pools, QuotaEngine engine) {
        this.pools = pools;
        this.engine = engine;
    }

    @Override
    public String name() {
        return "key-configuration";
    }

    @Override
    public String title() {
        return "Key configuration";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        if (pools.pools().isEmpty()) {
            f.fail("No pools are configured under quotahub.pools, so every acquire is refused",
                    "Configure at least one pool with a key under quotahub.pools and restart the hub");
            return f.result("");
        }
        for (String pool : pools.unusablePools()) {
            f.fail("Pool " + pool + " has no usable key: none of its keys' secrets could be read, so its acquires are refused",
                    "Make the secret of at least one key of pool " + pool + " readable (secret-file or secret-env) and restart the hub");
        }
        for (String problem : pools.problems()) {
            if (problem.startsWith("key ")) {
                f.warn("Configuration: " + problem, "Fix the secret source named for each left-out key (file present, readable by the hub, not empty; or the variable set) and restart the hub");
            } else if (!problem.startsWith("pool ")) {
                f.warn("Configuration: " + problem, "Correct quotahub.pools and restart the hub");
            }
        }
        int usable = 0;
        int total = 0;
        for (PoolView pool : engine.view().pools()) {
            List<KeyView> keys = pool.keys();
            long disabled = keys.stream().filter(KeyView::disabled).count();
            total += keys.size();
            usable += (int) (keys.size() - disabled);
            for (KeyView k : keys) {
                if (k.disabled()) {
                    f.warn("Key " + k.id() + " of pool " + pool.name() + " is disabled: the provider rejected its credentials (AUTH_FAILED)",
                            "Check the disabled key at the provider (revoked, expired or wrong), replace its secret and re-enable it; until then the pool's other keys carry its load");
                }
            }
            if (!keys.isEmpty() && disabled == keys.size() && !pools.unusablePools().contains(pool.name())) {
                f.fail("Every key of pool " + pool.name() + " is disabled after auth failures, so the pool cannot serve",
                        "Restore a working key for pool " + pool.name() + " at once");
            }
        }
        f.note(usable + " of " + total + " loaded keys in " + pools.pools().size() + " pool(s) are usable");
        return f.result("No action needed: every configured key is loaded and enabled");
    }
}
