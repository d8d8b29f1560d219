package io.quotahub.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * What a reload changed in the engine ({@link QuotaEngine#reconfigure}). Limits are named by their
 * {@link LimitRef} with old and new capacity, e.g. {@code demo/k1#0 60 -> 30}.
 *
 * @param policies a pool's or limit's mode, a pool's fallback pools or blocks, each as
 *                 {@code what old -> new}
 * @param holding  true when this hub holds back the extra room of raised limits until its peer
 *                 has folded the reload ({@link QuotaEngine#releaseRaises})
 */
public record ConfigChange(List<String> lowered, List<String> raised, List<String> addedPools, List<String> removedPools,
                           List<String> addedKeys, List<String> removedKeys, List<String> policies, boolean holding) {

    public ConfigChange {
        lowered = List.copyOf(lowered);
        raised = List.copyOf(raised);
        addedPools = List.copyOf(addedPools);
        removedPools = List.copyOf(removedPools);
        addedKeys = List.copyOf(addedKeys);
        removedKeys = List.copyOf(removedKeys);
        policies = List.copyOf(policies);
    }

    /** Did the reload change anything the engine counts? */
    public boolean isEmpty() {
        return lowered.isEmpty() && raised.isEmpty() && addedPools.isEmpty() && removedPools.isEmpty()
                && addedKeys.isEmpty() && removedKeys.isEmpty() && policies.isEmpty();
    }

    /** One line per kind of change, for logs and replies (ids and numbers only). */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        add(out, "lowered", lowered);
        add(out, "raised", raised);
        add(out, "pools added", addedPools);
        add(out, "pools removed", removedPools);
        add(out, "keys added", addedKeys);
        add(out, "keys removed", removedKeys);
        add(out, "policies", policies);
        return out;
    }

    private static void add(List<String> out, String what, List<String> items) {
        if (!items.isEmpty()) {
            out.add(what + ": " + String.join(", ", items));
        }
    }
}
