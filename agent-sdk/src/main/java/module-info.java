/**
 * The QuotaHub agent SDK. Its API is the package {@code io.quotahub.agent} ({@code QuotaClient},
 * its builder, {@code Lease}, the exceptions, {@code NatsFiles}); {@code io.quotahub.agent.internal}
 * is not exported.
 *
 * <p>jnats is required transitively because the API names its types
 * ({@code QuotaClient.Builder#connection(Connection)}, {@code NatsFiles#credentials} returns an
 * {@code AuthHandler}). The Prometheus simpleclient jars carry no module name of their own, so
 * they are required under the names the JDK derives from their file names.
 */
module io.quotahub.agent {
    requires transitive io.nats.jnats;
    requires io.quotahub.proto;
    requires com.google.protobuf;
    requires simpleclient;
    requires simpleclient.pushgateway;

    exports io.quotahub.agent;
}
