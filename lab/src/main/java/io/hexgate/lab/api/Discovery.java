package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The documents clients read to learn what the server serves: legacy discovery ({@code /api},
 * {@code /apis}, group-version resource lists) and OpenAPI v3, whose PATCH operations declare the
 * {@code fieldValidation} parameter so that kubectl leaves field validation to this server.
 */
final class Discovery {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  static final String KUBERNETES_VERSION = "v1.32.0";

  private final ResourceCatalog catalog;

  Discovery(ResourceCatalog catalog) {
    this.catalog = catalog;
  }

  ObjectNode version() {
    ObjectNode v = F.objectNode();
    v.put("major", "1").put("minor", "32").put("gitVersion", KUBERNETES_VERSION + "-hexgate-lab")
        .put("gitCommit", "").put("gitTreeState", "clean").put("buildDate", "2026-01-01T00:00:00Z")
        .put("goVersion", "java" + Runtime.version().feature()).put("compiler", "hexgate")
        .put("platform", System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT) + "/"
            + System.getProperty("os.arch"));
    return v;
  }

  ObjectNode coreVersions(String serverAddress) {
    ObjectNode v = F.objectNode();
    v.put("kind", "APIVersions");
    v.putArray("versions").add("v1");
    v.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0").put("serverAddress", serverAddress);
    return v;
  }

  ObjectNode groups() {
    ObjectNode list = F.objectNode();
    list.put("kind", "APIGroupList").put("apiVersion", "v1");
    ArrayNode groups = list.putArray("groups");
    for (Map.Entry<String, Set<String>> g : withReviews().entrySet()) {
      if (g.getKey().isEmpty()) {
        continue;
      }
      ObjectNode group = groups.addObject().put("name", g.getKey());
      ArrayNode versions = group.putArray("versions");
      for (String v : g.getValue()) {
        versions.addObject().put("groupVersion", g.getKey() + "/" + v).put("version", v);
      }
      String preferred = g.getValue().iterator().next();
      group.putObject("preferredVersion").put("groupVersion", g.getKey() + "/" + preferred).put("version", preferred);
    }
    return list;
  }

  private Map<String, Set<String>> withReviews() {
    Map<String, Set<String>> gv = catalog.groupVersions();
    gv.put("authorization.k8s.io", Set.of("v1"));
    return gv;
  }

  /** The resource list of one group version, or null when it is not served. */
  ObjectNode resources(String group, String version) {
    ObjectNode list = F.objectNode();
    list.put("kind", "APIResourceList").put("apiVersion", "v1")
        .put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    ArrayNode resources = list.putArray("resources");
    if (group.equals("authorization.k8s.io") && version.equals("v1")) {
      for (String[] r : new String[][] {{"selfsubjectaccessreviews", "SelfSubjectAccessReview"},
          {"selfsubjectrulesreviews", "SelfSubjectRulesReview"}}) {
        ObjectNode o = resources.addObject().put("name", r[0]).put("singularName", r[1].toLowerCase(java.util.Locale.ROOT))
            .put("namespaced", false).put("kind", r[1]);
        o.putArray("verbs").add("create");
      }
      return list;
    }
    List<ApiResource> types = catalog.inGroupVersion(group, version);
    if (types.isEmpty()) {
      return null;
    }
    for (ApiResource t : types) {
      ObjectNode r = resources.addObject();
      r.put("name", t.plural()).put("singularName", t.singular()).put("namespaced", t.namespaced()).put("kind", t.kind());
      ArrayNode verbs = r.putArray("verbs");
      ApiResource.VERBS.forEach(verbs::add);
      if (!t.shortNames().isEmpty()) {
        ArrayNode s = r.putArray("shortNames");
        t.shortNames().forEach(s::add);
      }
      if (!t.categories().isEmpty()) {
        ArrayNode c = r.putArray("categories");
        t.categories().forEach(c::add);
      }
      r.put("storageVersionHash", hash(t.apiVersion() + "/" + t.kind()).substring(0, 12));
      if (t.statusSubresource()) {
        ObjectNode s = resources.addObject();
        s.put("name", t.plural() + "/status").put("singularName", "").put("namespaced", t.namespaced()).put("kind", t.kind());
        s.putArray("verbs").add("get").add("patch").add("update");
      }
      if (t.group().isEmpty() && t.kind().equals("Pod")) {
        ObjectNode b = resources.addObject();
        b.put("name", "pods/binding").put("singularName", "").put("namespaced", true).put("kind", "Binding");
        b.putArray("verbs").add("create");
        ObjectNode c = resources.addObject();
        c.put("name", "bindings").put("singularName", "binding").put("namespaced", true).put("kind", "Binding");
        c.putArray("verbs").add("create");
      }
      if (t.scalable()) {
        ObjectNode s = resources.addObject();
        s.put("name", t.plural() + "/scale").put("singularName", "").put("namespaced", t.namespaced())
            .put("group", "autoscaling").put("version", "v1").put("kind", "Scale");
        s.putArray("verbs").add("get").add("patch").add("update");
      }
    }
    return list;
  }

  /** {@code /openapi/v3}: where each group version's document is, with a hash that changes with it. */
  ObjectNode openApiRoot() {
    ObjectNode root = F.objectNode();
    ObjectNode paths = root.putObject("paths");
    for (Map.Entry<String, Set<String>> g : catalog.groupVersions().entrySet()) {
      for (String v : g.getValue()) {
        String key = g.getKey().isEmpty() ? "api/" + v : "apis/" + g.getKey() + "/" + v;
        String doc = openApi(g.getKey(), v).toString();
        paths.putObject(key).put("serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hash(doc).toUpperCase(java.util.Locale.ROOT));
      }
    }
    return root;
  }

  /** The OpenAPI v3 document of one group version, or null when it is not served. */
  ObjectNode openApi(String group, String version) {
    List<ApiResource> types = catalog.inGroupVersion(group, version);
    if (types.isEmpty()) {
      return null;
    }
    ObjectNode doc = F.objectNode();
    doc.put("openapi", "3.0.0");
    doc.putObject("info").put("title", "Kubernetes").put("version", KUBERNETES_VERSION);
    ObjectNode paths = doc.putObject("paths");
    ObjectNode schemas = doc.putObject("components").putObject("schemas");
    for (ApiResource t : types) {
      String item = t.namespaced()
          ? t.collectionPath("{namespace}") + "/{name}"
          : t.collectionPath(null) + "/{name}";
      ObjectNode gvk = F.objectNode().put("group", t.group()).put("version", t.version()).put("kind", t.kind());
      ObjectNode ops = paths.putObject(item);
      for (String verb : List.of("get", "put", "patch", "delete")) {
        ObjectNode op = ops.putObject(verb);
        op.put("operationId", verb + t.kind());
        op.put("x-kubernetes-action", verb.equals("put") ? "put" : verb);
        op.set("x-kubernetes-group-version-kind", gvk);
        ArrayNode params = op.putArray("parameters");
        if (!verb.equals("get")) {
          params.addObject().put("name", "dryRun").put("in", "query").putObject("schema").put("type", "string");
        }
        if (verb.equals("put") || verb.equals("patch")) {
          params.addObject().put("name", "fieldManager").put("in", "query").putObject("schema").put("type", "string");
          params.addObject().put("name", "fieldValidation").put("in", "query").putObject("schema").put("type", "string");
        }
        op.putObject("responses").putObject("200").put("description", "OK");
      }
      if (t.custom() && t.schema() != null && !t.schema().isMissingNode()) {
        ObjectNode schema = t.schema().deepCopy();
        ObjectNode props = schema.withObjectProperty("properties");
        props.putObject("apiVersion").put("type", "string");
        props.putObject("kind").put("type", "string");
        props.putObject("metadata").put("type", "object");
        schema.putArray("x-kubernetes-group-version-kind").add(gvk);
        schemas.set(reverseDomain(t.group()) + "." + t.version() + "." + t.kind(), schema);
      }
    }
    return doc;
  }

  private static String reverseDomain(String group) {
    String[] parts = group.split("\\.");
    StringBuilder out = new StringBuilder();
    for (int i = parts.length - 1; i >= 0; i--) {
      out.append(parts[i]).append(i > 0 ? "." : "");
    }
    return out.toString();
  }

  static String hash(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
