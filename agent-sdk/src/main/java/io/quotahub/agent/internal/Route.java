package io.quotahub.agent.internal;

/**
 * Where one request attempt goes: the hubs' queue subject or one hub's direct subject.
 *
 * @param subject NATS subject
 * @param hubId   the hub of a direct subject, null for the queue route
 */
record Route(String subject, String hubId) {

    static Route queue(String subject) {
        return new Route(subject, null);
    }

    static Route direct(String subject, String hubId) {
        return new Route(subject, hubId);
    }

    boolean isQueue() {
        return hubId == null;
    }
}
