package io.quotahub.agent.internal;

import io.quotahub.agent.provider.ProviderLimit;
import io.quotahub.agent.provider.ProviderReport;
import io.quotahub.proto.LimitKind;

/** A {@link ProviderReport} as the settle request carries it. */
final class ProviderReportWire {

    private ProviderReportWire() {
    }

    static io.quotahub.proto.ProviderReport toProto(ProviderReport report) {
        io.quotahub.proto.ProviderReport.Builder b = io.quotahub.proto.ProviderReport.newBuilder();
        report.quotaId().ifPresent(b::setQuotaId);
        for (ProviderLimit l : report.limits()) {
            io.quotahub.proto.ProviderLimit.Builder limit = io.quotahub.proto.ProviderLimit.newBuilder()
                    .setKind(LimitKind.valueOf(l.kind().name()));
            l.limit().ifPresent(limit::setLimit);
            l.remaining().ifPresent(limit::setRemaining);
            l.resetAfter().ifPresent(d -> limit.setResetAfterMs(d.toMillis()));
            b.addLimits(limit);
        }
        return b.build();
    }
}
