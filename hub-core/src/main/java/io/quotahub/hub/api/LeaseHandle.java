package io.quotahub.hub.api;

/**
 * What the HTTP API calls a lease's {@code leaseId}: {@code <lease id>.<lease secret>}, so that a
 * client that only passes the id it got back to {@code /leases/{leaseId}/complete} proves it holds
 * the lease. Lease ids contain no '.', base64url secrets neither: the handle splits at its last '.'.
 *
 * @param secret "" when the handle carries none (a bare lease id)
 */
record LeaseHandle(String leaseId, String secret) {

    static String of(String leaseId, String secret) {
        return leaseId + '.' + secret;
    }

    static LeaseHandle parse(String handle) {
        int dot = handle.lastIndexOf('.');
        return dot < 0 ? new LeaseHandle(handle, "") : new LeaseHandle(handle.substring(0, dot), handle.substring(dot + 1));
    }

    @Override
    public String toString() {
        return leaseId + (secret.isEmpty() ? "" : ".<secret>");
    }
}
