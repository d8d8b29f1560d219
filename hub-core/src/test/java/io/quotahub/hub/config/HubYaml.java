package io.quotahub.hub.config;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.yaml.YamlPropertySourceLoader;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** A hub's application context from YAML with one section under {@code quotahub:} (no connection is made). */
final class HubYaml {

    private static final String HUB = """
            quotahub:
              hub-id: main
              nats-url: nats://127.0.0.1:1
              max-cooldown: 10m
              pools:
                demo:
                  keys:
                    - id: k1
                      secret-env: QH_TEST_NO_SUCH_VAR
                      limits: [{requests: 60, per: 1m}]
            """;

    private HubYaml() {
    }

    /** Starts a context with {@code sectionYaml} as {@code quotahub.<section>} (nothing added when empty). */
    static ApplicationContext start(String section, String sectionYaml) {
        String yaml = HUB + (sectionYaml.isEmpty() ? "" : "  " + section + ":\n" + sectionYaml.indent(4));
        Map<String, Object> props;
        try {
            props = new YamlPropertySourceLoader().read("hub.yml", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ApplicationContext.builder("test").propertySources(PropertySource.of("hub.yml", props)).start();
    }

    /** The configuration error that stops such a start-up (fails the test when it starts). */
    static String startUpError(String section, String sectionYaml) {
        Throwable failure = catchThrowable(() -> start(section, sectionYaml).close());
        assertThat(failure).as("the start-up fails").isNotNull();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConfigException) {
                return t.getMessage();
            }
        }
        throw new AssertionError("no configuration error in " + failure);
    }
}
