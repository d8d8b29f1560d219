package io.quotahub.chaos.checker;

import io.quotahub.chaos.checker.SettleIntegrity.Closing;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SettleIntegrityTest {

    @Test
    void leasesClosedAsTheirHoldersSettledThemMatch() {
        Map<String, Closing> sent = Map.of("a", new Closing("OK", 80, 0), "b", new Closing("RATE_LIMITED", 100, 0));
        Map<String, Closing> ledger = Map.of("a", new Closing("OK", 80, 5), "b", new Closing("RATE_LIMITED", 0, 6));

        assertThat(SettleIntegrity.mismatches(sent, ledger)).isEmpty();
    }

    @Test
    void aForgedOutcomeIsAMismatch() {
        Map<String, Closing> sent = Map.of("a", new Closing("OK", 80, 0));

        assertThat(SettleIntegrity.mismatches(sent, Map.of("a", new Closing("AUTH_FAILED", 1, 5))))
                .containsExactly("a: sent OK 80, ledger AUTH_FAILED");
    }

    @Test
    void otherTokensOnAnOkSettleAreAMismatch() {
        Map<String, Closing> sent = Map.of("a", new Closing("OK", 80, 0));

        assertThat(SettleIntegrity.mismatches(sent, Map.of("a", new Closing("OK", Long.MAX_VALUE, 5))))
                .containsExactly("a: sent OK 80, ledger OK " + Long.MAX_VALUE);
    }

    @Test
    void aLeaseReclaimedWhileItsHolderHadItIsAMismatch() {
        Map<String, Closing> sent = Map.of("a", new Closing("OK", 80, 0));

        assertThat(SettleIntegrity.mismatches(sent, Map.of("a", new Closing("EXPIRED", -1, 5))))
                .containsExactly("a: sent OK 80, ledger EXPIRED");
    }

    @Test
    void aLeaseNoLedgerClosedYetIsNotJudged() {
        assertThat(SettleIntegrity.mismatches(Map.of("a", new Closing("OK", 80, 0)), Map.of())).isEmpty();
    }
}
