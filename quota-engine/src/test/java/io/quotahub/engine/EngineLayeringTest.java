package io.quotahub.engine;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

/** The engine is pure Java: it imports only {@code java.*} and itself (no framework, no NATS, no I/O library). */
class EngineLayeringTest {

    private static final JavaClasses ENGINE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.quotahub.engine");

    @Test
    void engine_importsOnlyJavaAndItself() {
        classes().that().resideInAPackage("io.quotahub.engine..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "io.quotahub.engine..")
                .because("the engine knows nothing of Micronaut, NATS or any other library (docs/architecture.md, Modules)")
                .check(ENGINE);
    }

    @Test
    void engine_isNotEmpty() {
        // the rule above passes vacuously on no classes: make sure the import found the engine
        org.assertj.core.api.Assertions.assertThat(ENGINE.containPackage("io.quotahub.engine")).isTrue();
        org.assertj.core.api.Assertions.assertThat(ENGINE.size()).isGreaterThan(20);
    }
}
