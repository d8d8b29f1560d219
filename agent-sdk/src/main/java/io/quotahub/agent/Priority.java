package io.quotahub.agent;

/**
 * Priority of a lease request. Under load (thermal state ELEVATED and above) hubs refuse
 * {@link #LOW} work first and keep room for {@link #HIGH}.
 */
public enum Priority {
    /** Background work: waits or is refused first. */
    LOW,
    /** The default. */
    NORMAL,
    /** Work that should get capacity before everything else. */
    HIGH
}
