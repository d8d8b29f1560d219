package io.quotahub.hub.edge;

import io.micronaut.runtime.Micronaut;

/** The PC2 hub: hub-core with the role defaults of hub id 'edge' (see application.yml). */
public final class HubEdgeApplication {

    private HubEdgeApplication() {
    }

    public static void main(String[] args) {
        Micronaut.build(args).mainClass(HubEdgeApplication.class).banner(false).start();
    }
}
