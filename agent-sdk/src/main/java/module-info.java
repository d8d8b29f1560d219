/**
 * The QuotaHub agent SDK. Its API is the package {@code io.quotahub.agent} ({@code QuotaClient},
 * its builder, {@code Lease}, the exceptions, {@code NatsFiles}) and {@code io.quotahub.agent.provider}
 * (the adapters that read a provider's answer); {@code io.quotahub.agent.internal} is not exported.
 *
 * <p>jnats is required transitively because the API names its types
 * ({@code QuotaClient.Builder#connection(Connection)}, {@code NatsFiles#credentials} returns an
 * {@code AuthHandler}); java.net.http because {@code ProviderAdapter#forHttpResponses()} reads its
 * {@code HttpResponse}. The Prometheus simpleclient jars carry no module name of their own, so
 * they are required under the names the JDK derives from their file names.
 */
module io.quotahub.agent {
    requires transitive io.nats.jnats;
    requires transitive java.net.http;
    requires io.quotahub.proto;
    requires com.google.protobuf;
    requires simpleclient;
    requires simpleclient.pushgateway;

    exports io.quotahub.agent;
    exports io.quotahub.agent.provider;
}
