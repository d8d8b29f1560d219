package io.quotahub.hub.api;

import io.micronaut.serde.annotation.Serdeable;

/**
 * {@code GET /api/v1/system}.
 *
 * @param cpuLoad        recent CPU use of the hub process over all processors, 0–1 (-1: unknown)
 * @param heapMaxBytes   -1 when the heap has no maximum
 */
@Serdeable
public record SystemBody(double cpuLoad, long heapUsedBytes, long heapMaxBytes, long nonHeapUsedBytes, int processors,
                         long uptimeSeconds) {
}
