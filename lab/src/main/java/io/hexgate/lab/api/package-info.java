/**
 * The lab's Kubernetes API server: fabric8's mock in CRUD mode for storage and watches, extended with
 * what a real API server answers and stock {@code kubectl} relies on (discovery, OpenAPI v3, Tables,
 * CRD schema validation, subresources, patch types, garbage collection). Start it with
 * {@link io.hexgate.lab.api.LabApiServer}.
 */
package io.hexgate.lab.api;
