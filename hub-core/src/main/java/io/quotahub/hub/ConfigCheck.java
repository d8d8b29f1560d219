package io.quotahub.hub;

import io.micronaut.context.BeanContext;
import io.micronaut.context.BeanProvider;
import io.micronaut.context.annotation.ConfigurationReader;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.EachProperty;
import io.micronaut.context.env.Environment;
import io.micronaut.context.env.PropertySource;
import io.micronaut.inject.BeanDefinition;
import io.micronaut.inject.qualifiers.Qualifiers;
import io.quotahub.hub.config.ConfigException;
import io.quotahub.hub.config.ConfigKeys;
import io.quotahub.hub.config.pools.PoolsSettings;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Refuses to start with an unknown or misspelt key under {@code quotahub.}: it walks the
 * properties of every configuration source (files, test properties, {@code -D} system
 * properties; not environment variables, whose names cannot be told apart from other programs')
 * and holds them against the keys the bound settings records and the pools accept; then it binds
 * the pools, so a bad value there stops the start-up too. Runs when the context starts, before the
 * hub connects anywhere.
 */
@Context
class ConfigCheck {

    /** Environment variables: names like QUOTAHUB_X are shared with every other program and cannot be mapped back. */
    private static final String ENV_SOURCE = "env";

    ConfigCheck(Environment environment, BeanContext beans, BeanProvider<PoolsSettings> pools) {
        ConfigKeys keys = ConfigKeys.of(settingsRecords(beans));
        List<String> names = new ArrayList<>();
        for (PropertySource source : environment.getPropertySources()) {
            if (ENV_SOURCE.equals(source.getName())) {
                continue;
            }
            for (String property : source) {
                if (property.startsWith(ConfigKeys.PREFIX)) {
                    ConfigKeys.leaves(property, source.get(property), names);
                }
            }
        }
        keys.check(names).ifPresent(problem -> {
            throw new ConfigException(problem);
        });
        pools.get(); // binds quotahub.pools now: a bad value stops the start-up here, naming its path
    }

    /** Every bound settings record under {@code quotahub.}, by its prefix below it. */
    private static Map<String, Class<?>> settingsRecords(BeanContext beans) {
        Map<String, Class<?>> records = new HashMap<>();
        for (BeanDefinition<?> d : beans.getBeanDefinitions(Qualifiers.byStereotype(ConfigurationReader.class))) {
            String prefix = d.stringValue(ConfigurationReader.class, ConfigurationReader.PREFIX).orElse("");
            if (!d.getBeanType().isRecord() || !(prefix.equals("quotahub") || prefix.startsWith(ConfigKeys.PREFIX))) {
                continue;
            }
            String relative = prefix.equals("quotahub") ? "" : prefix.substring(ConfigKeys.PREFIX.length());
            if (relative.endsWith("[*]") || relative.endsWith(".*")) {
                relative = relative.substring(0, relative.length() - (relative.endsWith("[*]") ? 3 : 2));
            }
            if (d.hasDeclaredAnnotation(EachProperty.class)) {
                relative += d.booleanValue(EachProperty.class, "list").orElse(false) ? "[]" : ".*";
            }
            records.put(relative, d.getBeanType());
        }
        return records;
    }
}
