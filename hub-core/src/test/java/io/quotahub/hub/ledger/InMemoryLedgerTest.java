package io.quotahub.hub.ledger;

class InMemoryLedgerTest extends LedgerContractTest {

    private InMemoryLedger ledger;

    @Override
    Ledger newLedger(java.util.function.LongSupplier peerCursor) {
        ledger = new InMemoryLedger();
        ledger.replay(b -> { }, peerCursor);
        return ledger;
    }

    @Override
    Ledger reopen() {
        return ledger;
    }

    @Override
    void fenceFromOutside() {
        ledger.fence("edge", ledger.lastSeq());
    }
}
