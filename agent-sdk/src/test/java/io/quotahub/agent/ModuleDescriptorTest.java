package io.quotahub.agent;

import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The SDK's module exports its API packages and nothing of {@code io.quotahub.agent.internal}. */
class ModuleDescriptorTest {

    @Test
    void theModuleExportsOnlyTheApiPackages() {
        Module sdk = QuotaClient.class.getModule();
        assertThat(sdk.isNamed()).as("the tests run on the module path, as the SDK's users may").isTrue();
        ModuleDescriptor descriptor = sdk.getDescriptor();

        assertThat(descriptor.name()).isEqualTo("io.quotahub.agent");
        assertThat(descriptor.exports()).extracting(ModuleDescriptor.Exports::source)
                .containsExactlyInAnyOrder("io.quotahub.agent", "io.quotahub.agent.provider");
        assertThat(descriptor.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
        assertThat(descriptor.opens()).isEmpty();
        assertThat(descriptor.packages()).contains("io.quotahub.agent.internal");
    }

    @Test
    void theModuleReadsNoFramework() {
        assertThat(QuotaClient.class.getModule().getDescriptor().requires().stream()
                .map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("java.base", "io.nats.jnats", "java.net.http", "io.quotahub.proto", "com.google.protobuf",
                        "simpleclient", "simpleclient.pushgateway");
    }
}
