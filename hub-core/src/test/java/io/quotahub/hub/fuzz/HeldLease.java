package io.quotahub.hub.fuzz;

/**
 * A lease an honest agent holds: its id, the secret its grant carried (empty if the hub sent
 * none) and the handle HTTP clients settle it with ({@code <leaseId>.<leaseSecret>}).
 */
record HeldLease(String leaseId, String secret) {

    /** The lease of an HTTP grant, whose JSON {@code leaseId} is the handle. */
    static HeldLease ofHandle(String handle) {
        int dot = handle.indexOf('.');
        return dot < 0 ? new HeldLease(handle, "") : new HeldLease(handle.substring(0, dot), handle.substring(dot + 1));
    }

    String handle() {
        return secret.isEmpty() ? leaseId : leaseId + "." + secret;
    }

    /** Whether {@code secret} proves holding this lease: only a real (non-empty) secret can. */
    boolean provenBy(String secret) {
        return !this.secret.isEmpty() && this.secret.equals(secret);
    }
}
