package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The verbs on resources, with the API server's semantics: metadata set by the server, resourceVersion
 * preconditions (409), generation bumped by spec changes only, status written only through the status
 * subresource where a type has one, schema validation and pruning of custom resources, strict field
 * validation, finalizers, and garbage collection of dependents by owner reference. Callers hold the
 * server's lock: reads under its read lock, writes under its write lock.
 */
final class ResourceHandler {
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final String GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  /** The outcome of a write: the object to answer with, its status code and any warnings. */
  record Written(int code, JsonNode body, List<String> warnings) {}

  private final ResourceCatalog catalog;
  private final ObjectStore store;
  private final ObjectMapper json;
  private final BuiltInDecoder decoder;
  private final Defaults defaults;
  private final List<AdmissionHook> hooks = new CopyOnWriteArrayList<>();
  private final List<WatchListener> watchers = new CopyOnWriteArrayList<>();
  private final Clock clock;
  private final Map<String, Long> createdVersions = new HashMap<>();
  private long lastDeletion;

  ResourceHandler(ResourceCatalog catalog, ObjectStore store, ObjectMapper json, Defaults defaults, Clock clock) {
    this.catalog = catalog;
    this.store = store;
    this.json = json;
    this.decoder = new BuiltInDecoder(json);
    this.defaults = defaults;
    this.clock = clock;
  }

  void addHook(AdmissionHook hook) {
    hooks.add(hook);
  }

  void addWatcher(WatchListener w) {
    watchers.add(w);
  }

  void removeWatcher(WatchListener w) {
    watchers.remove(w);
  }

  /** Stores the new state and tells the watchers; {@code object} is the last state on DELETED. */
  private void put(String event, ApiResource type, String ns, String name, ObjectNode object) {
    store.put(type, ns, name, event.equals("DELETED") ? null : object);
    for (WatchListener w : watchers) {
      w.changed(event, type, object);
    }
  }

  // ---- reads

  ObjectNode get(ApiResource type, String ns, String name) {
    ObjectNode o = store.get(type, ns, name);
    if (o == null) {
      throw ApiException.notFound(type, name);
    }
    return o;
  }

  List<ObjectNode> list(ApiResource type, String ns, String labelSelector, String fieldSelector) {
    Predicate<JsonNode> labels = Selectors.labels(labelSelector);
    Predicate<JsonNode> fields = Selectors.fields(fieldSelector);
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode o : store.list(type, ns)) {
      if (labels.test(o) && fields.test(o)) {
        out.add(o);
      }
    }
    out.sort(Comparator.comparing((ObjectNode o) -> o.path("metadata").path("namespace").asText(""))
        .thenComparing(o -> o.path("metadata").path("name").asText("")));
    return out;
  }

  ObjectNode listDocument(ApiResource type, List<ObjectNode> items) {
    ObjectNode list = json.createObjectNode();
    list.put("kind", type.kind() + "List").put("apiVersion", type.apiVersion());
    list.putObject("metadata").put("resourceVersion", Long.toString(store.currentVersion()));
    ArrayNode a = list.putArray("items");
    items.forEach(a::add);
    return list;
  }

  long currentVersion() {
    return store.currentVersion();
  }

  /**
   * The events a watch from {@code since} starts with: the objects changed after it (all of them from 0),
   * or an expired-version error when objects were deleted after it, since deletions are not replayed (the
   * client lists again, as after a compaction).
   */
  List<ObjectNode> watchEvents(ApiResource type, String ns, String labels, String fields, long since) {
    List<ObjectNode> events = new ArrayList<>();
    if (since > 0 && since < lastDeletion) {
      ObjectNode status = new ApiException(410, "Expired",
          "too old resource version: " + since + " (" + lastDeletion + ")", null).status();
      ObjectNode e = json.createObjectNode().put("type", "ERROR");
      e.set("object", status);
      events.add(e);
      return events;
    }
    for (ObjectNode o : list(type, ns, labels, fields)) {
      long rv = Long.parseLong(o.path("metadata").path("resourceVersion").asText("0"));
      if (rv > since) {
        long created = createdVersions.getOrDefault(o.path("metadata").path("uid").asText(), 0L);
        ObjectNode e = json.createObjectNode().put("type", since == 0 || created > since ? "ADDED" : "MODIFIED");
        e.set("object", o);
        events.add(e);
      }
    }
    return events;
  }

  // ---- writes

  Written create(ApiResource type, String ns, ObjectNode body, Map<String, String> params) {
    checkKind(type, body);
    ObjectNode meta = body.withObjectProperty("metadata");
    if (type.namespaced()) {
      String bodyNs = meta.path("namespace").asText("");
      if (!bodyNs.isEmpty() && !bodyNs.equals(ns)) {
        throw ApiException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      meta.put("namespace", ns);
      requireNamespace(ns);
    } else {
      meta.remove("namespace");
    }
    if (meta.path("name").asText("").isEmpty()) {
      String prefix = meta.path("generateName").asText("");
      if (prefix.isEmpty()) {
        throw ApiException.invalid(type, "", List.of(FieldError.required("metadata.name")));
      }
      meta.put("name", prefix + randomSuffix());
    }
    String name = meta.get("name").asText();
    if (store.get(type, ns, name) != null) {
      throw ApiException.alreadyExists(type, name);
    }
    if (type.statusSubresource()) {
      body.remove("status");
    }
    List<String> warnings = new ArrayList<>();
    admit("CREATE", type, body, null, params, warnings);
    meta.put("uid", UUID.randomUUID().toString());
    meta.put("creationTimestamp", now());
    meta.put("generation", 1);
    meta.remove("deletionTimestamp");
    meta.remove("resourceVersion");
    if (dryRun(params)) {
      return new Written(201, body, warnings);
    }
    long rv = store.nextVersion();
    meta.put("resourceVersion", Long.toString(rv));
    createdVersions.put(meta.get("uid").asText(), rv);
    put("ADDED", type, ns, name, body);
    afterWrite(type, body, false);
    return new Written(201, body, warnings);
  }

  /** PUT on the object or its status subresource. */
  Written update(ApiResource type, String ns, String name, ObjectNode body, boolean status, Map<String, String> params) {
    ObjectNode old = get(type, ns, name);
    checkKind(type, body);
    return replace(type, ns, name, old, body, status, params);
  }

  Written patch(ApiResource type, String ns, String name, String contentType, JsonNode patch, boolean status,
      Map<String, String> params) {
    String media = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(java.util.Locale.ROOT);
    ObjectNode old = store.get(type, ns, name);
    if (old == null) {
      if (media.equals(Patches.APPLY) && !status && patch.isObject()) {
        return create(type, ns, (ObjectNode) patch, params);
      }
      throw ApiException.notFound(type, name);
    }
    JsonNode result =
        switch (media) {
          case Patches.JSON_PATCH -> Patches.jsonPatch(patch, old);
          case Patches.MERGE_PATCH -> Patches.mergePatch(old, patch);
          case Patches.STRATEGIC -> {
            if (type.custom()) {
              throw ApiException.unsupportedMediaType(contentType);
            }
            yield Patches.strategic(old, patch);
          }
          // server-side apply without field ownership: the applied configuration merged into the object
          case Patches.APPLY -> type.custom() ? Patches.mergePatch(old, patch) : Patches.strategic(old, patch);
          default -> throw ApiException.unsupportedMediaType(contentType);
        };
    if (!(result instanceof ObjectNode patched)) {
      throw ApiException.badRequest("the patch does not leave an object");
    }
    return replace(type, ns, name, old, patched, status, params);
  }

  private Written replace(ApiResource type, String ns, String name, ObjectNode old, ObjectNode body, boolean status,
      Map<String, String> params) {
    ObjectNode meta = body.withObjectProperty("metadata");
    String bodyName = meta.path("name").asText("");
    if (!bodyName.isEmpty() && !bodyName.equals(name)) {
      throw ApiException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + name + ")");
    }
    String bodyNs = meta.path("namespace").asText("");
    if (type.namespaced() && !bodyNs.isEmpty() && !bodyNs.equals(ns)) {
      throw ApiException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    String expected = meta.path("resourceVersion").asText("");
    ObjectNode oldMeta = (ObjectNode) old.get("metadata");
    if (!expected.isEmpty() && !expected.equals(oldMeta.path("resourceVersion").asText())) {
      throw ApiException.conflict(type, name);
    }
    ObjectNode next;
    if (status) {
      next = old.deepCopy();
      if (body.has("status")) {
        next.set("status", body.get("status"));
      } else {
        next.remove("status");
      }
    } else {
      next = body;
      if (type.statusSubresource()) {
        if (old.has("status")) {
          next.set("status", old.get("status"));
        } else {
          next.remove("status");
        }
      }
    }
    ObjectNode nextMeta = next.withObjectProperty("metadata");
    nextMeta.put("name", name);
    if (type.namespaced()) {
      nextMeta.put("namespace", ns);
    } else {
      nextMeta.remove("namespace");
    }
    for (String kept : List.of("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")) {
      if (oldMeta.has(kept)) {
        nextMeta.set(kept, oldMeta.get(kept));
      } else {
        nextMeta.remove(kept);
      }
    }
    nextMeta.set("generation", oldMeta.get("generation"));
    nextMeta.set("resourceVersion", oldMeta.get("resourceVersion"));
    List<String> warnings = new ArrayList<>();
    admit("UPDATE", type, next, old, params, warnings);
    if (next.equals(old)) {
      return new Written(200, old, warnings);
    }
    if (!status && specChanged(old, next)) {
      nextMeta.put("generation", oldMeta.path("generation").asLong(1) + 1);
    }
    if (dryRun(params)) {
      return new Written(200, next, warnings);
    }
    nextMeta.put("resourceVersion", Long.toString(store.nextVersion()));
    if (nextMeta.has("deletionTimestamp") && nextMeta.path("finalizers").isEmpty()) {
      remove(type, next, "Background");
      return new Written(200, next, warnings);
    }
    put("MODIFIED", type, ns, name, next);
    afterWrite(type, next, false);
    return new Written(200, next, warnings);
  }

  ObjectNode scale(ApiResource type, ObjectNode o) {
    ObjectNode scale = json.createObjectNode();
    scale.put("kind", "Scale").put("apiVersion", "autoscaling/v1");
    ObjectNode meta = scale.putObject("metadata");
    for (String f : List.of("name", "namespace", "uid", "resourceVersion", "creationTimestamp")) {
      if (o.path("metadata").has(f)) {
        meta.set(f, o.path("metadata").get(f));
      }
    }
    scale.putObject("spec").put("replicas", o.path("spec").path("replicas").asLong(1));
    List<String> selector = new ArrayList<>();
    o.path("spec").path("selector").path("matchLabels").properties()
        .forEach(e -> selector.add(e.getKey() + "=" + e.getValue().asText()));
    scale.putObject("status").put("replicas", o.path("status").path("replicas").asLong(0))
        .put("selector", String.join(",", selector));
    return scale;
  }

  /** Sets {@code spec.replicas} from a Scale, with the Scale's resourceVersion as precondition. */
  Written updateScale(ApiResource type, String ns, String name, JsonNode scale, Map<String, String> params) {
    ObjectNode old = get(type, ns, name);
    JsonNode replicas = scale.path("spec").path("replicas");
    if (!replicas.canConvertToInt() || replicas.asInt() < 0) {
      throw new ApiException(422, "Invalid", "Scale.autoscaling \"" + name + "\" is invalid: spec.replicas: Invalid value: "
          + replicas + ": must be greater than or equal to 0", null);
    }
    ObjectNode next = old.deepCopy();
    String expected = scale.path("metadata").path("resourceVersion").asText("");
    if (!expected.isEmpty()) {
      next.withObjectProperty("metadata").put("resourceVersion", expected);
    }
    next.withObjectProperty("spec").put("replicas", replicas.asInt());
    Written w = replace(type, ns, name, old, next, false, params);
    return new Written(200, scale(type, (ObjectNode) w.body()), w.warnings());
  }

  /** {@code pods/binding}: what a scheduler posts to put a pod on a node; a pod is bound once. */
  Written bind(ApiResource pods, String ns, String name, JsonNode binding, Map<String, String> params) {
    ObjectNode pod = get(pods, ns, name);
    String node = binding.path("target").path("name").asText("");
    if (node.isEmpty()) {
      throw new ApiException(422, "Invalid", "Binding \"" + name + "\" is invalid: target.name: Required value", null);
    }
    String bound = pod.path("spec").path("nodeName").asText("");
    if (!bound.isEmpty()) {
      throw new ApiException(409, "Conflict", "Operation cannot be fulfilled on pods/binding \"" + name
          + "\": pod " + name + " is already assigned to node \"" + bound + "\"", null);
    }
    ObjectNode next = pod.deepCopy();
    next.withObjectProperty("spec").put("nodeName", node);
    ArrayNode conditions = next.withObjectProperty("status").withArrayProperty("conditions");
    conditions.addObject().put("type", "PodScheduled").put("status", "True").put("lastTransitionTime", now());
    // spec and status change in one write, as the API server's binding storage does
    if (!dryRun(params)) {
      next.withObjectProperty("metadata").put("resourceVersion", Long.toString(store.nextVersion()));
      put("MODIFIED", pods, ns, name, next);
    }
    ObjectNode status = json.createObjectNode();
    status.put("kind", "Status").put("apiVersion", "v1").put("status", "Success").put("code", 201);
    status.putObject("metadata");
    return new Written(201, status, List.of());
  }

  /** DELETE: marks the object when finalizers hold it, else removes it and collects its dependents. */
  Written delete(ApiResource type, String ns, String name, JsonNode options, Map<String, String> params) {
    ObjectNode old = get(type, ns, name);
    JsonNode pre = options == null ? null : options.path("preconditions");
    if (pre != null && pre.hasNonNull("resourceVersion")
        && !pre.get("resourceVersion").asText().equals(old.path("metadata").path("resourceVersion").asText())) {
      throw ApiException.conflict(type, name);
    }
    if (pre != null && pre.hasNonNull("uid") && !pre.get("uid").asText().equals(old.path("metadata").path("uid").asText())) {
      throw ApiException.conflict(type, name);
    }
    String policy = params.getOrDefault("propagationPolicy",
        options == null ? "Background" : options.path("propagationPolicy").asText("Background"));
    if (dryRun(params) || (options != null && options.path("dryRun").size() > 0)) {
      return new Written(200, old, List.of());
    }
    ObjectNode meta = (ObjectNode) old.get("metadata");
    if (!meta.path("finalizers").isEmpty()) {
      if (!meta.has("deletionTimestamp")) {
        ObjectNode marked = old.deepCopy();
        marked.withObjectProperty("metadata").put("deletionTimestamp", now()).put("deletionGracePeriodSeconds", 0);
        marked.withObjectProperty("metadata").put("resourceVersion", Long.toString(store.nextVersion()));
        put("MODIFIED", type, ns, name, marked);
        return new Written(200, marked, List.of());
      }
      return new Written(200, old, List.of());
    }
    remove(type, old, policy);
    return new Written(200, old, List.of());
  }

  /** Removes the object for good, then what it alone owned (or, with Orphan, drops the references to it). */
  private void remove(ApiResource type, ObjectNode o, String policy) {
    JsonNode meta = o.path("metadata");
    String ns = meta.path("namespace").asText(null);
    String name = meta.path("name").asText();
    String uid = meta.path("uid").asText();
    lastDeletion = store.nextVersion();
    put("DELETED", type, ns, name, o);
    createdVersions.remove(uid);
    afterWrite(type, o, true);
    if (type.kind().equals("Namespace") && type.group().isEmpty()) {
      for (ApiResource t : catalog.all()) {
        if (t.namespaced()) {
          for (ObjectNode inside : store.list(t, name)) {
            remove(t, inside, "Background");
          }
        }
      }
    }
    for (ObjectNode dependent : store.dependentsOf(uid)) {
      ApiResource t = catalog.findKind(dependent.path("apiVersion").asText(), dependent.path("kind").asText()).orElse(null);
      if (t == null) {
        continue;
      }
      ArrayNode remaining = json.createArrayNode();
      for (JsonNode r : dependent.path("metadata").path("ownerReferences")) {
        if (!r.path("uid").asText().equals(uid)) {
          remaining.add(r);
        }
      }
      if (!policy.equals("Orphan") && remaining.isEmpty()) {
        remove(t, dependent, "Background");
      } else {
        ObjectNode next = dependent.deepCopy();
        next.withObjectProperty("metadata").set("ownerReferences", remaining);
        next.withObjectProperty("metadata").put("resourceVersion", Long.toString(store.nextVersion()));
        put("MODIFIED", t, dependent.path("metadata").path("namespace").asText(null),
            dependent.path("metadata").path("name").asText(), next);
      }
    }
  }

  List<ObjectNode> deleteCollection(ApiResource type, String ns, Map<String, String> params) {
    List<ObjectNode> gone = new ArrayList<>();
    for (ObjectNode o : list(type, ns, params.get("labelSelector"), params.get("fieldSelector"))) {
      gone.add((ObjectNode) delete(type, o.path("metadata").path("namespace").asText(null),
          o.path("metadata").path("name").asText(), null, params).body());
    }
    return gone;
  }

  // ---- admission

  private void admit(String op, ApiResource type, ObjectNode o, ObjectNode old, Map<String, String> params,
      List<String> warnings) {
    String validation = params.getOrDefault("fieldValidation", "Warn");
    List<String> unknown;
    List<FieldError> errors = new ArrayList<>(metadataErrors(type, o));
    if (type.custom()) {
      StructuralSchema.Outcome outcome = StructuralSchema.check(type.schema(), o, true);
      unknown = outcome.unknownFields();
      errors.addAll(outcome.errors());
    } else {
      unknown = decoder.unknownFields(type, o);
    }
    if (!unknown.isEmpty()) {
      if (validation.equals("Strict")) {
        List<String> each = unknown.stream().map(f -> "unknown field \"" + f + "\"").toList();
        throw ApiException.badRequest(type.kind() + " in version \"" + type.version() + "\" cannot be handled as a "
            + type.kind() + ": strict decoding error: " + String.join(", ", each));
      }
      if (validation.equals("Warn")) {
        unknown.forEach(f -> warnings.add("unknown field \"" + f + "\""));
      }
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(type, o.path("metadata").path("name").asText(""), errors);
    }
    defaults.admit(op, type, o, old);
    if (type.kind().equals("CustomResourceDefinition") && type.group().equals("apiextensions.k8s.io")) {
      establish(o);
    }
    for (AdmissionHook h : hooks) {
      h.admit(op, type, o, old);
    }
  }

  private static List<FieldError> metadataErrors(ApiResource type, ObjectNode o) {
    List<FieldError> errors = new ArrayList<>();
    JsonNode nameNode = o.path("metadata").path("name");
    String name = nameNode.asText("");
    boolean label = type.group().isEmpty() && (type.kind().equals("Namespace") || type.kind().equals("Service"));
    if (label && (name.length() > 63 || !DNS_LABEL.matcher(name).matches())) {
      errors.add(FieldError.invalid("metadata.name", nameNode,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
              + "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '"
              + DNS_LABEL.pattern() + "')"));
    } else if (!label && (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches())) {
      errors.add(FieldError.invalid("metadata.name", nameNode,
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
              + "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '"
              + DNS_SUBDOMAIN.pattern() + "')"));
    }
    o.path("metadata").path("labels").properties().forEach(e -> {
      if (!e.getValue().isTextual()) {
        errors.add(FieldError.invalid("metadata.labels", e.getValue(), "label values must be strings"));
      } else if (e.getValue().asText().length() > 63
          || !e.getValue().asText().matches("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")) {
        errors.add(FieldError.invalid("metadata.labels", e.getValue(),
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
                + "start and end with an alphanumeric character"));
      }
    });
    return errors;
  }

  private void afterWrite(ApiResource type, ObjectNode o, boolean deleted) {
    if (type.kind().equals("CustomResourceDefinition") && type.group().equals("apiextensions.k8s.io")) {
      String name = o.path("metadata").path("name").asText();
      if (deleted) {
        List<ApiResource> before = catalog.all();
        catalog.removeCrd(name);
        for (ApiResource t : before) {
          if (t.custom() && name.equals(t.plural() + "." + t.group())) {
            for (ObjectNode cr : store.list(t, null)) {
              remove(t, cr, "Background");
            }
          }
        }
      } else {
        catalog.putCrd(o);
      }
    }
    if (deleted && type.kind().equals("Service") && type.group().isEmpty()) {
      defaults.release(o);
    }
  }

  /** Sets the conditions a cluster's CRD controller sets once the names are accepted and the type is served. */
  private void establish(ObjectNode crd) {
    ObjectNode status = crd.withObjectProperty("status");
    ArrayNode conditions = status.putArray("conditions");
    for (String c : List.of("NamesAccepted", "Established")) {
      conditions.addObject().put("type", c).put("status", "True").put("lastTransitionTime", now())
          .put("reason", c.equals("Established") ? "InitialNamesAccepted" : "NoConflicts")
          .put("message", c.equals("Established") ? "the initial names have been accepted" : "no conflicts found");
    }
    status.set("acceptedNames", crd.path("spec").path("names").deepCopy());
    ArrayNode stored = status.putArray("storedVersions");
    crd.path("spec").path("versions").forEach(v -> {
      if (v.path("storage").asBoolean(false)) {
        stored.add(v.path("name").asText());
      }
    });
  }

  private void checkKind(ApiResource type, ObjectNode body) {
    String kind = body.path("kind").asText("");
    String apiVersion = body.path("apiVersion").asText("");
    if (kind.isEmpty()) {
      body.put("kind", type.kind());
    } else if (!kind.equals(type.kind())) {
      throw ApiException.badRequest("the server rejected our request due to an error in our request: kind " + kind
          + " does not match the " + type.kind() + " served at this path");
    }
    if (apiVersion.isEmpty()) {
      body.put("apiVersion", type.apiVersion());
    } else if (!apiVersion.equals(type.apiVersion())) {
      throw ApiException.badRequest("the API version in the data (" + apiVersion
          + ") does not match the expected API version (" + type.apiVersion() + ")");
    }
    if (!body.path("metadata").isObject()) {
      body.putObject("metadata");
    }
  }

  private void requireNamespace(String ns) {
    ApiResource namespaces = catalog.find("", "v1", "namespaces").orElseThrow();
    ObjectNode n = store.get(namespaces, null, ns);
    if (n == null) {
      throw ApiException.notFound(namespaces, ns);
    }
    if (n.path("metadata").has("deletionTimestamp")) {
      throw new ApiException(403, "Forbidden", "unable to create new content in namespace " + ns
          + " because it is being terminated", null);
    }
  }

  private static boolean specChanged(ObjectNode old, ObjectNode next) {
    ObjectNode a = old.deepCopy();
    ObjectNode b = next.deepCopy();
    for (ObjectNode o : List.of(a, b)) {
      o.remove("metadata");
      o.remove("status");
    }
    return !Objects.equals(a, b);
  }

  private static boolean dryRun(Map<String, String> params) {
    return params.containsKey("dryRun") && !params.get("dryRun").isEmpty();
  }

  private String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  Instant instant() {
    return Instant.now(clock);
  }

  private static String randomSuffix() {
    StringBuilder s = new StringBuilder();
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    for (int i = 0; i < 5; i++) {
      s.append(GENERATE_ALPHABET.charAt(r.nextInt(GENERATE_ALPHABET.length())));
    }
    return s.toString();
  }
}
