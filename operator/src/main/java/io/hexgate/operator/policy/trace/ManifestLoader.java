package io.hexgate.operator.policy.trace;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.hexgate.operator.policy.api.CiliumClusterwideNetworkPolicy;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.policy.api.Entity;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads Kubernetes manifests (files or directories of {@code .yaml}/{@code .yml}/{@code .json}, multi-document)
 * strictly, as {@code kubectl apply --validate=strict} would: an unknown field or a wrong type is an
 * error naming the file, the object and the field. Namespaced objects without a namespace go to the
 * default namespace given.
 */
public final class ManifestLoader {
  private static final List<String> WORKLOADS =
      List.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController");

  private final ObjectMapper mapper;
  private final String defaultNamespace;

  public ManifestLoader(String defaultNamespace) {
    this.defaultNamespace = defaultNamespace;
    YAMLMapper m = new YAMLMapper(new YAMLFactory());
    m.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    m.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    // Kubernetes types are strict: 80 is not the string "80", nor true the string "true".
    for (CoercionInputShape shape :
        List.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean)) {
      m.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
    }
    this.mapper = m;
  }

  public LoadedObjects load(List<Path> paths) {
    LoadedObjects out = new LoadedObjects();
    for (Path p : paths) {
      for (Path f : files(p)) {
        loadFile(f, out);
      }
    }
    return out;
  }

  private static List<Path> files(Path p) {
    if (!Files.exists(p)) {
      throw new InputException(p + ": no such file or directory");
    }
    if (!Files.isDirectory(p)) {
      return List.of(p);
    }
    try (Stream<Path> s = Files.walk(p)) {
      return s.filter(Files::isRegularFile)
          .filter(f -> f.toString().matches(".*\\.(ya?ml|json)$"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new InputException(p + ": " + e.getMessage(), e);
    }
  }

  private void loadFile(Path file, LoadedObjects out) {
    String name = file.toString();
    List<JsonNode> docs = new ArrayList<>();
    try (JsonParser parser = mapper.getFactory().createParser(file.toFile());
        MappingIterator<JsonNode> it = mapper.readValues(parser, JsonNode.class)) {
      while (it.hasNextValue()) {
        docs.add(it.nextValue());
      }
    } catch (JsonProcessingException e) {
      throw new InputException(name + ": not valid YAML: " + syntaxError(e), e);
    } catch (IOException | RuntimeException e) {
      String msg = e.getCause() instanceof JsonProcessingException j ? syntaxError(j) : e.getMessage();
      throw new InputException(name + ": not valid YAML: " + msg, e);
    }
    for (int i = 0; i < docs.size(); i++) {
      JsonNode doc = docs.get(i);
      if (doc == null || doc.isNull() || doc.isMissingNode()) {
        continue;
      }
      loadDocument(name, i + 1, doc, out);
    }
  }

  private void loadDocument(String file, int n, JsonNode doc, LoadedObjects out) {
    if (!doc.isObject()) {
      throw new InputException(file + ": document " + n + ": not a Kubernetes object");
    }
    String kind = doc.path("kind").asText("");
    String apiVersion = doc.path("apiVersion").asText("");
    if (kind.isEmpty() || apiVersion.isEmpty()) {
      throw new InputException(
          file + ": document " + n + ": " + (kind.isEmpty() ? "kind" : "apiVersion") + ": field is required");
    }
    if (kind.endsWith("List") && doc.has("items")) {
      for (JsonNode item : doc.get("items")) {
        loadDocument(file, n, item, out);
      }
      return;
    }
    String name = doc.path("metadata").path("name").asText("");
    String ns = doc.path("metadata").path("namespace").asText("");
    switch (kind) {
      case "Namespace" -> out.namespaces.add(sourced(file, n, doc, Namespace.class, "v1", false));
      case "Pod" -> out.pods.add(sourced(file, n, doc, Pod.class, "v1", true));
      case "NetworkPolicy" -> out.knps.add(sourced(file, n, doc, NetworkPolicy.class, "networking.k8s.io/v1", true));
      case "CiliumNetworkPolicy" -> out.cnps.add(sourced(file, n, doc, CiliumNetworkPolicy.class, "cilium.io/v2", true));
      case "CiliumClusterwideNetworkPolicy" ->
          out.ccnps.add(sourced(file, n, doc, CiliumClusterwideNetworkPolicy.class, "cilium.io/v2", false));
      default -> {
        Manifest m = new Manifest(file, n, kind, ns.isEmpty() ? defaultNamespace : ns, name);
        if (WORKLOADS.contains(kind)) {
          templatePod(doc, m).ifPresent(p -> out.templatePods.add(new LoadedObjects.Sourced<>(p, m)));
        } else {
          out.ignored.add(m);
        }
      }
    }
  }

  private <T extends HasMetadata> LoadedObjects.Sourced<T> sourced(
      String file, int n, JsonNode doc, Class<T> type, String apiVersion, boolean namespaced) {
    String name = doc.path("metadata").path("name").asText("");
    String kind = doc.path("kind").asText();
    Manifest where = new Manifest(file, n, kind, namespaced ? namespaceOf(doc) : null, name);
    if (!apiVersion.equals(doc.path("apiVersion").asText())) {
      throw new InputException(
          where + ": apiVersion: \"" + doc.path("apiVersion").asText() + "\" is not supported, use " + apiVersion);
    }
    if (name.isEmpty()) {
      throw new InputException(where + ": metadata.name: field is required");
    }
    T obj;
    try {
      obj = mapper.treeToValue(doc, type);
    } catch (JsonMappingException e) {
      throw new InputException(where + ": " + describe(e) + requiresHint(path(e.getPath())), e);
    } catch (JsonProcessingException e) {
      throw new InputException(where + ": " + e.getOriginalMessage(), e);
    }
    String unknown = unknownField(obj, "");
    if (unknown == null) {
      // The Cilium types are not fabric8's model: their metadata is the one part the walk above skips.
      unknown = unknownField(obj.getMetadata(), "metadata");
    }
    if (unknown != null) {
      String field = unknown.substring(unknown.lastIndexOf('.') + 1);
      throw new InputException(where + ": " + unknown + ": unknown field \"" + field + "\"");
    }
    if (namespaced && (obj.getMetadata().getNamespace() == null || obj.getMetadata().getNamespace().isEmpty())) {
      obj.getMetadata().setNamespace(defaultNamespace);
    }
    return new LoadedObjects.Sourced<>(obj, where);
  }

  private String namespaceOf(JsonNode doc) {
    String ns = doc.path("metadata").path("namespace").asText("");
    return ns.isEmpty() ? defaultNamespace : ns;
  }

  /** A workload's pod template stands for its pods, under the workload's own name. */
  private java.util.Optional<Pod> templatePod(JsonNode doc, Manifest m) {
    JsonNode template = doc.path("spec").path("template");
    if (!template.isObject()) {
      return java.util.Optional.empty();
    }
    ObjectNode podNode = mapper.createObjectNode();
    podNode.put("apiVersion", "v1");
    podNode.put("kind", "Pod");
    podNode.set("metadata", template.path("metadata").deepCopy());
    ((ObjectNode) podNode.get("metadata")).put("name", m.name());
    ((ObjectNode) podNode.get("metadata")).put("namespace", m.namespace());
    podNode.set("spec", template.path("spec").deepCopy());
    try {
      return java.util.Optional.of(mapper.treeToValue(podNode, Pod.class));
    } catch (JsonProcessingException e) {
      throw new InputException(m + ": spec.template: " + (e instanceof JsonMappingException j ? describe(j) : e.getOriginalMessage()), e);
    }
  }

  private static final java.util.regex.Pattern REQUIRES = java.util.regex.Pattern.compile(".*\\b(from|to)Requires(\\[\\d+])?$");

  /**
   * Pre-1.19 policies list label selectors under {@code fromRequires}/{@code toRequires}; Cilium 1.19 removed
   * the field (its schema keeps an always-empty list of strings), so such a policy fails there too. Says so,
   * and what to write instead.
   */
  static String requiresHint(String path) {
    var m = REQUIRES.matcher(path);
    if (!m.matches()) {
      return "";
    }
    String peers = m.group(1).equals("from") ? "fromEndpoints" : "toEndpoints";
    return " (" + m.group(1) + "Requires was removed in Cilium 1.19 and must be empty: add its labels to each "
        + peers + " selector of the rule instead)";
  }

  static String describe(JsonMappingException e) {
    String path = path(e.getPath());
    if (e instanceof UnrecognizedPropertyException u) {
      return path + ": unknown field \"" + u.getPropertyName() + "\"";
    }
    if (e instanceof InvalidFormatException f && f.getTargetType() != null && f.getTargetType().isEnum()) {
      if (f.getTargetType() == Entity.class) {
        return path + ": unsupported entity: " + f.getValue();
      }
      return path + ": invalid value \"" + f.getValue() + "\", must be one of "
          + Arrays.toString(enumValues(f.getTargetType()));
    }
    String target = e.getOriginalMessage();
    if (e instanceof MismatchedInputException m && m.getTargetType() != null && target.startsWith("Cannot construct instance")) {
      // A scalar where a list or an object belongs: Jackson blames a missing constructor.
      Class<?> t = m.getTargetType();
      String type = Collection.class.isAssignableFrom(t) || t.isArray() ? "array" : "object";
      return path + ": wrong type: must be of type " + type;
    }
    if (target.startsWith("Cannot coerce") || target.startsWith("Cannot deserialize value of type")) {
      String type = target.contains("`java.lang.String`") ? "string"
          : target.contains("java.util.List") || target.contains("ArrayList") ? "array"
          : target.contains("Integer") || target.contains("int") || target.contains("Long") ? "integer"
          : target.contains("Boolean") || target.contains("boolean") ? "boolean"
          : "object";
      return path + ": wrong type: must be of type " + type;
    }
    return path + ": " + target;
  }

  private static Object[] enumValues(Class<?> type) {
    Object[] constants = type.getEnumConstants();
    Object[] out = new Object[constants.length];
    for (int i = 0; i < constants.length; i++) {
      out[i] = constants[i].toString();
      try {
        var m = type.getMethod("yaml");
        out[i] = m.invoke(constants[i]);
      } catch (ReflectiveOperationException ignored) {
        // no YAML spelling of its own: the constant name is what YAML uses
      }
    }
    return out;
  }

  static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.length() == 0 ? "(object)" : b.toString();
  }

  /**
   * A syntax error on one line: SnakeYAML's own text spans several (context, an excerpt of the input, a
   * caret, the problem), so its parts are taken apart and the position is given as line and column.
   */
  static String syntaxError(JsonProcessingException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MarkedYAMLException m && m.getProblem() != null) {
        String context = m.getContext() == null ? "" : m.getContext() + ": ";
        Mark mark = m.getProblemMark() != null ? m.getProblemMark() : m.getContextMark();
        String at = mark == null ? "" : "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ": ";
        return at + context + m.getProblem();
      }
    }
    return String.join(" ", e.getOriginalMessage().lines().map(String::strip).toList()) + location(e);
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }

  /**
   * fabric8's model keeps unknown fields in {@code additionalProperties} instead of failing; finds the
   * first one, as a field path, so that Pods, NetworkPolicies and every object's {@code metadata} are as
   * strict as the Cilium types (strict field validation reports {@code metadata.<key>} too).
   */
  static String unknownField(Object o, String path) {
    if (o == null || !o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      if (o instanceof Collection<?> c) {
        int i = 0;
        for (Object e : c) {
          String u = unknownField(e, path + "[" + i++ + "]");
          if (u != null) {
            return u;
          }
        }
      }
      return null;
    }
    for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers())) {
          continue;
        }
        Object v;
        try {
          f.setAccessible(true);
          v = f.get(o);
        } catch (ReflectiveOperationException | RuntimeException e) {
          continue;
        }
        if (v == null) {
          continue;
        }
        if (f.getName().equals("additionalProperties") && v instanceof Map<?, ?> m) {
          if (!m.isEmpty()) {
            return join(path, String.valueOf(m.keySet().iterator().next()));
          }
          continue;
        }
        JsonProperty jp = f.getAnnotation(JsonProperty.class);
        String name = jp != null && !jp.value().isEmpty() ? jp.value() : f.getName();
        String u = unknownField(v, join(path, name));
        if (u != null) {
          return u;
        }
      }
    }
    return null;
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }
}
