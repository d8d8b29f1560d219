package io.quotahub.hub.edge;

import io.quotahub.hub.HubApplication;

/** The PC2 hub: hub-core with the role defaults of hub id 'edge' (see application.yml). */
public final class HubEdgeApplication {

    private HubEdgeApplication() {
    }

    public static void main(String[] args) {
        HubApplication.run(HubEdgeApplication.class, args);
    }
}
