/**
 * The lab's Kubernetes API server: fabric8's kubernetes-server-mock in CRUD mode for storage and
 * watches, extended with what a real API server answers and stock {@code kubectl} relies on. Start it
 * with {@link io.hexgate.lab.api.LabApiServer}.
 *
 * <p>What it does as a cluster's API server does:
 *
 * <ul>
 *   <li>Legacy discovery ({@code /api}, {@code /apis}, group-version resource lists with verbs, short
 *       names, categories and subresources), {@code /version}, and OpenAPI v3 per group version whose
 *       PATCH operations declare {@code fieldValidation}, so kubectl leaves validation to the server.
 *   <li>{@code meta.k8s.io/v1} Tables: a CRD's additionalPrinterColumns evaluated with JSONPath, and the
 *       usual columns of the built-in types.
 *   <li>Custom resources checked against their structural schema: types, enums, patterns, bounds,
 *       required fields, sets, defaults; undeclared fields pruned, or rejected with
 *       {@code fieldValidation=Strict} (kubectl's default). Built-in objects are decoded strictly into
 *       fabric8's model types. {@code x-kubernetes-validations} rules are evaluated when they only test
 *       field presence ({@link io.hexgate.lab.api.CelRules}); other CEL rules are skipped.
 *   <li>Server-set metadata, resourceVersion preconditions (409 Conflict), generation bumped by spec
 *       changes only, status written only through {@code /status} for types with that subresource (CRDs
 *       that declare it; Pods, Services, Deployments, ReplicaSets, Namespaces, Nodes, CRDs), finalizers,
 *       garbage collection by owner reference and of namespace contents, {@code /scale} for Deployments and
 *       ReplicaSets, {@code pods/binding}, ClusterIPs from a service range, dry runs.
 *   <li>JSON patch, JSON merge patch, strategic merge patch for built-ins, and server-side apply as a
 *       merge of the applied configuration (no field ownership).
 * </ul>
 *
 * <p>What differs: kubectl's watches ({@code get -w}, {@code wait}, {@code rollout status}) are answered
 * as short polls (kubectl re-watches, so {@code wait} works; {@code get -w} ends after one poll); request
 * bodies must be JSON or YAML, so kubectl's typed-client writes in protobuf ({@code create namespace},
 * {@code create deployment}, {@code auth can-i}) are refused with 415 ({@code apply -f} and
 * {@code create -f} work); pods are deleted at once, without a grace period; there is no authentication
 * or authorization.
 */
package io.hexgate.lab.api;
