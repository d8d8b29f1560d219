/**
 * The wire messages between agents and hubs, the hubs' ledger events (generated from
 * {@code quotahub.proto}) and the NATS subject names ({@code Subjects}). A named module so that
 * the agent SDK's {@code module-info} can require it; the generated classes expose protobuf types,
 * hence {@code requires transitive}.
 */
module io.quotahub.proto {
    requires transitive com.google.protobuf;

    exports io.quotahub.proto;
}
