package io.quotahub.hub.main;

import io.micronaut.runtime.Micronaut;

/** The MainPC hub: hub-core with the role defaults of hub id 'main' (see application.yml). */
public final class HubMainApplication {

    private HubMainApplication() {
    }

    public static void main(String[] args) {
        Micronaut.build(args).mainClass(HubMainApplication.class).banner(false).start();
    }
}
