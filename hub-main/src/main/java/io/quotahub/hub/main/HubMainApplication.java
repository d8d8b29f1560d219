package io.quotahub.hub.main;

import io.quotahub.hub.HubApplication;

/** The MainPC hub: hub-core with the role defaults of hub id 'main' (see application.yml). */
public final class HubMainApplication {

    private HubMainApplication() {
    }

    public static void main(String[] args) {
        HubApplication.run(HubMainApplication.class, args);
    }
}
