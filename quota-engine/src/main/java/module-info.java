/**
 * The quota engine: pure Java, no I/O, no NATS, no Micronaut. Its API is the package
 * {@code io.quotahub.engine} (the {@code QuotaEngine} facade, configs, requests and decisions) and
 * the read-only views of {@code io.quotahub.engine.view}; {@code io.quotahub.engine.internal} is not
 * exported.
 */
module io.quotahub.engine {
    exports io.quotahub.engine;
    exports io.quotahub.engine.view;
}
