/**
 * The lab's Kubernetes API server: fabric8's kubernetes-server-mock in CRUD mode for storage and
 * fabric8 clients' websocket watches, its web server request handler on a Vert.x server of its own,
 * extended with what a real API server answers and stock {@code kubectl} relies on. Start it
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
 * <p>kubectl's plain HTTP watches ({@code get -w}, {@code wait}, {@code rollout status}) are streamed, as
 * Tables when asked; a watch from a resourceVersion older than the last deletion gets 410 Expired and
 * lists again, since deletions are not replayed.
 *
 * <p>What differs: bodies are JSON or YAML, and protobuf only for the kinds kubectl's imperative creates
 * send that way ({@code create namespace|configmap|secret|serviceaccount}, {@code auth can-i}); other
 * protobuf bodies ({@code create deployment}) get 415 naming {@code apply -f} or {@code create -f} instead;
 * pods are deleted at once, without a grace period; there is no authentication
 * or authorization.
 */
package io.hexgate.lab.api;
