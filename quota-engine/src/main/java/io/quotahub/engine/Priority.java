package io.quotahub.engine;

/** Priority of a lease request; thermal load shedding refuses LOW first. */
public enum Priority {
    LOW,
    NORMAL,
    HIGH
}
