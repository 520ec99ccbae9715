package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import java.lang.reflect.Method;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Decodes a built-in object into fabric8's model class, as the API server decodes into its Go types:
 * a value of the wrong type is a BadRequest, and the fields the type does not declare (which fabric8 keeps
 * in {@code additionalProperties}) are the unknown fields strict field validation reports.
 */
final class BuiltInDecoder {
  private final ObjectMapper mapper;
  private final Map<Class<?>, List<BeanPropertyDefinition>> properties = new java.util.concurrent.ConcurrentHashMap<>();

  BuiltInDecoder(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** The unknown field paths of {@code object}, e.g. {@code spec.template.spec.containers[0].imagex}. */
  List<String> unknownFields(ApiResource type, JsonNode object) {
    Object decoded;
    try {
      decoded = mapper.treeToValue(object, type.model());
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw ApiException.badRequest(type.kind() + " in version \"" + type.version() + "\" cannot be handled as a "
          + type.kind() + ": " + why);
    }
    List<String> out = new java.util.ArrayList<>();
    walk(decoded, "", out);
    return out;
  }

  private void walk(Object v, String path, List<String> out) {
    if (v == null) {
      return;
    }
    if (v instanceof Map<?, ?> m) {
      m.forEach((k, x) -> walk(x, join(path, String.valueOf(k)), out));
      return;
    }
    if (v instanceof Collection<?> c) {
      int i = 0;
      for (Object x : c) {
        walk(x, path + "[" + i++ + "]", out);
      }
      return;
    }
    if (!v.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    Map<?, ?> extra = additionalProperties(v);
    if (extra != null) {
      extra.keySet().forEach(k -> out.add(join(path, String.valueOf(k))));
    }
    for (BeanPropertyDefinition p : properties.computeIfAbsent(v.getClass(), this::properties)) {
      AnnotatedMember getter = p.getAccessor();
      Object child;
      try {
        child = getter.getValue(v);
      } catch (RuntimeException e) {
        continue;
      }
      walk(child, join(path, p.getName()), out);
    }
  }

  /** The model class's readable properties; introspection is slow, and CRD schemas nest one class deeply. */
  private List<BeanPropertyDefinition> properties(Class<?> c) {
    BeanDescription d = mapper.getSerializationConfig().introspect(mapper.constructType(c));
    return d.findProperties().stream()
        .filter(p -> p.getAccessor() != null && !p.getName().equals("additionalProperties"))
        .toList();
  }

  private static Map<?, ?> additionalProperties(Object v) {
    try {
      Method m = v.getClass().getMethod("getAdditionalProperties");
      return m.getReturnType() == Map.class ? (Map<?, ?>) m.invoke(v) : null;
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }
}
