package io.quotahub.hub;

import io.micronaut.context.exceptions.BeanContextException;
import io.micronaut.context.exceptions.BeanCreationException;
import io.micronaut.context.exceptions.BeanInstantiationException;
import io.micronaut.context.exceptions.ConfigurationException;
import io.micronaut.context.exceptions.DependencyInjectionException;
import io.micronaut.runtime.Micronaut;
import io.micronaut.runtime.exceptions.ApplicationStartupException;
import io.quotahub.hub.config.ConfigException;

import java.util.List;

/**
 * Starts a hub application (hub-main, hub-edge). A configuration error found at start-up ends the
 * process with one line on standard error — {@code quotahub: configuration error: <what and
 * where>} — instead of a bean-creation stack trace; any other failure is reported as Micronaut does.
 */
public final class HubApplication {

    private static final List<Class<? extends Throwable>> STARTUP_FAILURES = List.of(BeanInstantiationException.class,
            DependencyInjectionException.class, BeanCreationException.class, BeanContextException.class,
            ConfigurationException.class, ConfigException.class, ApplicationStartupException.class);

    private HubApplication() {
    }

    public static void run(Class<?> mainClass, String[] args) {
        Micronaut app = Micronaut.build(args).mainClass(mainClass).banner(false);
        for (Class<? extends Throwable> type : STARTUP_FAILURES) {
            app.mapError(type, HubApplication::exitOnConfigError);
        }
        app.start();
    }

    private static Integer exitOnConfigError(Throwable failure) {
        String line = configError(failure);
        if (line == null) {
            return 1; // not a configuration error: Micronaut logs it with its stack trace
        }
        System.err.println(line);
        System.exit(1);
        return 1;
    }

    /** The one line to print for {@code failure}, or null when no {@link ConfigException} caused it. */
    static String configError(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConfigException) {
                return "quotahub: configuration error: " + t.getMessage().replace('\n', ' ');
            }
        }
        return null;
    }
}
