package io.quotahub.hub.ledger;

class InMemoryLedgerTest extends LedgerContractTest {

    private InMemoryLedger ledger;

    @Override
    Ledger newLedger() {
        ledger = new InMemoryLedger();
        return ledger;
    }

    @Override
    Ledger reopen() {
        return ledger;
    }

    @Override
    void fenceFromOutside() {
        ledger.fence();
    }
}
