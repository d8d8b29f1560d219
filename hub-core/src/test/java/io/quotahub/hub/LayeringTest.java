package io.quotahub.hub;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import io.quotahub.hub.config.ConfigException;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layering of docs/architecture.md ("Packages of hub-core"), checked on the compiled classes
 * of hub-core and of the modules it uses (proto, engine, agent SDK). The engine's own rule (it
 * imports only {@code java.*}) is checked in quota-engine's tests.
 */
class LayeringTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.quotahub");

    /** Each package of hub-core is one slice; the root package {@code io.quotahub.hub} is one too. */
    private static final SliceAssignment HUB_PACKAGES = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            String pkg = javaClass.getPackageName();
            if (pkg.equals("io.quotahub.hub")) {
                return SliceIdentifier.of("hub (root)");
            }
            if (pkg.startsWith("io.quotahub.hub.")) {
                String rest = pkg.substring("io.quotahub.hub.".length());
                return SliceIdentifier.of(rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest);
            }
            return SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "the packages of hub-core";
        }
    };

    @Test
    void hubCore_hasNoPackageCycles() {
        slices().assignedFrom(HUB_PACKAGES).should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void hubCore_packagesFollowTheLayers() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Http").definedBy("io.quotahub.hub.api..", "io.quotahub.hub.health..", "io.quotahub.hub.diagnostics..")
                .layer("Runtime").definedBy("io.quotahub.hub")
                .layer("Services").definedBy("io.quotahub.hub.service..", "io.quotahub.hub.security..",
                        "io.quotahub.hub.audit..", "io.quotahub.hub.snapshot..")
                .layer("Protocol").definedBy("io.quotahub.hub.replication..", "io.quotahub.hub.metrics..")
                .layer("Ledger").definedBy("io.quotahub.hub.ledger..")
                .layer("Config").definedBy("io.quotahub.hub.config..")
                .whereLayer("Http").mayNotBeAccessedByAnyLayer()
                .whereLayer("Runtime").mayOnlyBeAccessedByLayers("Http")
                .whereLayer("Services").mayOnlyBeAccessedByLayers("Runtime", "Http")
                .whereLayer("Protocol").mayOnlyBeAccessedByLayers("Services", "Runtime", "Http")
                .whereLayer("Ledger").mayOnlyBeAccessedByLayers("Protocol", "Services", "Runtime", "Http")
                .whereLayer("Config").mayOnlyBeAccessedByLayers("Ledger", "Protocol", "Services", "Runtime", "Http")
                .check(CLASSES);
    }

    @Test
    void metrics_readTheHubThroughNarrowInterfaces() {
        noClasses().that().resideInAPackage("io.quotahub.hub.metrics..")
                .should().dependOnClassesThat().resideInAnyPackage("io.quotahub.hub", "io.quotahub.hub.service..",
                        "io.quotahub.hub.api..")
                .check(CLASSES);
    }

    @Test
    void sdk_importsNoMicronautAndNoHub() {
        noClasses().that().resideInAPackage("io.quotahub.agent..")
                .should().dependOnClassesThat().resideInAnyPackage("io.micronaut..", "io.quotahub.hub..")
                .because("agents embed the SDK: plain Java, jnats and protobuf")
                .check(CLASSES);
    }

    @Test
    void poolsModel_isPlainJavaAndTheEnginesTypes() {
        classes().that().resideInAPackage("io.quotahub.hub.config.pools..")
                .should().onlyDependOnClassesThat(JavaClass.Predicates.resideInAnyPackage("java..", "io.quotahub.engine",
                        "io.quotahub.hub.config.pools..").or(JavaClass.Predicates.equivalentTo(ConfigException.class)))
                .because("the chaos suite binds the hub's pools with it, without Micronaut")
                .check(CLASSES);
    }

    @Test
    void internalPackages_areNotUsedOutsideTheirModule() {
        classes().that().resideInAPackage("io.quotahub..")
                .should(useNoOtherModulesInternals())
                .check(CLASSES);
    }

    @Test
    void theImport_seesEveryModuleItChecks() {
        // rules pass vacuously on classes that were not imported
        for (String pkg : new String[] {"io.quotahub.hub", "io.quotahub.hub.metrics", "io.quotahub.engine",
                "io.quotahub.engine.internal", "io.quotahub.agent", "io.quotahub.agent.internal", "io.quotahub.proto"}) {
            assertThat(CLASSES.containPackage(pkg)).as(pkg).isTrue();
        }
    }

    /** {@code io.quotahub.<module>.internal..} is used only from {@code io.quotahub.<module>..}. */
    private static ArchCondition<JavaClass> useNoOtherModulesInternals() {
        return new ArchCondition<>("use no other module's internal packages") {
            @Override
            public void check(JavaClass origin, ConditionEvents events) {
                String from = module(origin.getPackageName());
                for (Dependency d : origin.getDirectDependenciesFromSelf()) {
                    String target = d.getTargetClass().getPackageName();
                    boolean internal = target.startsWith("io.quotahub.") && (target.contains(".internal.") || target.endsWith(".internal"));
                    if (internal && !module(target).equals(from)) {
                        events.add(SimpleConditionEvent.violated(d, d.getDescription()));
                    }
                }
            }
        };
    }

    /** The module part of a package: {@code io.quotahub.engine.internal} → {@code engine}. */
    private static String module(String pkg) {
        String rest = pkg.startsWith("io.quotahub.") ? pkg.substring("io.quotahub.".length()) : pkg;
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }
}
