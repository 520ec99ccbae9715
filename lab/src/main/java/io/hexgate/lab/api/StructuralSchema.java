package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks a custom resource against its CRD version's structural openAPIV3Schema as the API server does:
 * defaults missing fields, reports schema violations as field errors and collects the fields the schema
 * does not declare (for the caller to prune or, under {@code fieldValidation=Strict}, reject).
 * {@code x-kubernetes-validations} rules are evaluated when they are about field presence (see
 * {@link CelRules}); other CEL rules are skipped.
 */
final class StructuralSchema {
  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();
  private static final Set<String> ROOT_FIELDS = Set.of("apiVersion", "kind", "metadata");

  /** What one pass found. */
  record Outcome(List<FieldError> errors, List<String> unknownFields) {}

  private StructuralSchema() {}

  /** Validates {@code object} in place: defaults are filled in, unknown fields removed when {@code prune}. */
  static Outcome check(JsonNode schema, ObjectNode object, boolean prune) {
    List<FieldError> errors = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    walk(schema, object, "", errors, unknown, prune, true);
    return new Outcome(errors, unknown);
  }

  private static void walk(JsonNode s, JsonNode v, String path, List<FieldError> errors, List<String> unknown,
      boolean prune, boolean root) {
    if (s == null || s.isMissingNode() || s.isEmpty()) {
      return;
    }
    if (v.isNull()) {
      if (!s.path("nullable").asBoolean(false)) {
        errors.add(FieldError.invalid(path, v, path + " in body must be of type " + typeName(s) + ": \"null\""));
      }
      return;
    }
    if (!typeMatches(s, v)) {
      errors.add(FieldError.invalid(path, v,
          path + " in body must be of type " + typeName(s) + ": " + quoted(v)));
      return;
    }
    values(s, v, path, errors);
    for (JsonNode rule : s.path("x-kubernetes-validations")) {
      // rules outside the supported CEL subset are skipped: the lab does not evaluate them
      if (CelRules.evaluate(rule.path("rule").asText(), v).orElse(true)) {
        continue;
      }
      String field = path.isEmpty() ? "<nil>" : path;
      String message = rule.hasNonNull("message") ? rule.get("message").asText() : "failed rule: " + rule.path("rule").asText();
      errors.add(FieldError.invalid(field, v.isContainerNode() ? JsonNodeFactory.instance.textNode(
          v.isObject() ? "object" : "array") : v, message));
    }
    if (v.isObject()) {
      object(s, (ObjectNode) v, path, errors, unknown, prune, root);
    } else if (v.isArray()) {
      JsonNode items = s.path("items");
      for (int i = 0; i < v.size(); i++) {
        walk(items, v.get(i), path + "[" + i + "]", errors, unknown, prune, false);
      }
    }
  }

  private static void object(JsonNode s, ObjectNode v, String path, List<FieldError> errors, List<String> unknown,
      boolean prune, boolean root) {
    JsonNode props = s.path("properties");
    for (Map.Entry<String, JsonNode> p : props.properties()) {
      if (!v.has(p.getKey()) && p.getValue().has("default")) {
        v.set(p.getKey(), p.getValue().get("default").deepCopy());
      }
    }
    JsonNode additional = s.get("additionalProperties");
    boolean preserve =
        s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
            || (additional != null && additional.isBoolean() && additional.asBoolean());
    boolean embedded = s.path("x-kubernetes-embedded-resource").asBoolean(false);
    List<String> prunable = new ArrayList<>();
    for (Map.Entry<String, JsonNode> f : v.properties()) {
      String key = f.getKey();
      String child = path.isEmpty() ? key : path + "." + key;
      if (props.has(key)) {
        walk(props.get(key), f.getValue(), child, errors, unknown, prune, false);
      } else if (additional != null && additional.isObject()) {
        walk(additional, f.getValue(), child, errors, unknown, prune, false);
      } else if ((root || embedded) && ROOT_FIELDS.contains(key)) {
        // every object carries these; metadata is checked apart
      } else if (!preserve) {
        unknown.add(child);
        prunable.add(key);
      }
    }
    if (prune) {
      prunable.forEach(v::remove);
    }
    for (JsonNode r : s.path("required")) {
      if (!v.has(r.asText())) {
        errors.add(FieldError.required(path.isEmpty() ? r.asText() : path + "." + r.asText()));
      }
    }
    if (s.has("maxProperties") && v.size() > s.get("maxProperties").asInt()) {
      errors.add(new FieldError(FieldError.Type.TOO_MANY, path, numberNode(v.size()),
          "must have at most " + s.get("maxProperties").asInt() + " items"));
    }
    if (s.has("minProperties") && v.size() < s.get("minProperties").asInt()) {
      errors.add(FieldError.invalid(path, numberNode(v.size()),
          path + " in body should have at least " + s.get("minProperties").asInt() + " properties"));
    }
  }

  private static JsonNode numberNode(int n) {
    return com.fasterxml.jackson.databind.node.IntNode.valueOf(n);
  }

  /** Value validations: enum, string, number and array bounds, and the anyOf/allOf/oneOf/not combinators. */
  private static void values(JsonNode s, JsonNode v, String path, List<FieldError> errors) {
    if (s.has("enum")) {
      boolean found = false;
      List<String> allowed = new ArrayList<>();
      for (JsonNode e : s.get("enum")) {
        allowed.add(quoted(e));
        found |= equal(e, v);
      }
      if (!found) {
        errors.add(new FieldError(FieldError.Type.NOT_SUPPORTED, path, v, "supported values: " + String.join(", ", allowed)));
      }
    }
    if (v.isTextual()) {
      String text = v.asText();
      if (s.has("maxLength") && text.codePointCount(0, text.length()) > s.get("maxLength").asInt()) {
        errors.add(new FieldError(FieldError.Type.TOO_LONG, path, v,
            "may not be more than " + s.get("maxLength").asInt() + " bytes"));
      }
      if (s.has("minLength") && text.codePointCount(0, text.length()) < s.get("minLength").asInt()) {
        errors.add(FieldError.invalid(path, v,
            path + " in body should be at least " + s.get("minLength").asInt() + " chars long"));
      }
      if (s.has("pattern")) {
        String regex = s.get("pattern").asText();
        // Go's regexp MatchString finds the pattern anywhere unless it is anchored: same as find()
        if (!PATTERNS.computeIfAbsent(regex, Pattern::compile).matcher(text).find()) {
          errors.add(FieldError.invalid(path, v, path + " in body should match '" + regex + "'"));
        }
      }
    }
    if (v.isNumber()) {
      BigDecimal n = v.decimalValue();
      if (s.has("maximum")) {
        BigDecimal max = s.get("maximum").decimalValue();
        boolean exclusive = s.path("exclusiveMaximum").asBoolean(false);
        if (exclusive ? n.compareTo(max) >= 0 : n.compareTo(max) > 0) {
          errors.add(FieldError.invalid(path, v, path + " in body should be less than "
              + (exclusive ? "" : "or equal to ") + plain(max)));
        }
      }
      if (s.has("minimum")) {
        BigDecimal min = s.get("minimum").decimalValue();
        boolean exclusive = s.path("exclusiveMinimum").asBoolean(false);
        if (exclusive ? n.compareTo(min) <= 0 : n.compareTo(min) < 0) {
          errors.add(FieldError.invalid(path, v, path + " in body should be greater than "
              + (exclusive ? "" : "or equal to ") + plain(min)));
        }
      }
      if (s.has("multipleOf")) {
        BigDecimal m = s.get("multipleOf").decimalValue();
        if (m.signum() != 0 && n.remainder(m).signum() != 0) {
          errors.add(FieldError.invalid(path, v, path + " in body should be a multiple of " + plain(m)));
        }
      }
    }
    if (v.isArray()) {
      if (s.has("maxItems") && v.size() > s.get("maxItems").asInt()) {
        errors.add(new FieldError(FieldError.Type.TOO_MANY, path, numberNode(v.size()),
            "must have at most " + s.get("maxItems").asInt() + " items"));
      }
      if (s.has("minItems") && v.size() < s.get("minItems").asInt()) {
        errors.add(FieldError.invalid(path, v, path + " in body should have at least " + s.get("minItems").asInt() + " items"));
      }
      String listType = s.path("x-kubernetes-list-type").asText("");
      if (s.path("uniqueItems").asBoolean(false) || listType.equals("set")) {
        Set<JsonNode> seen = new HashSet<>();
        for (int i = 0; i < v.size(); i++) {
          if (!seen.add(v.get(i))) {
            errors.add(new FieldError(FieldError.Type.DUPLICATE, path + "[" + i + "]", v.get(i), ""));
          }
        }
      } else if (listType.equals("map")) {
        Set<List<JsonNode>> seen = new HashSet<>();
        for (int i = 0; i < v.size(); i++) {
          List<JsonNode> key = new ArrayList<>();
          for (JsonNode k : s.path("x-kubernetes-list-map-keys")) {
            key.add(v.get(i).path(k.asText()));
          }
          if (!seen.add(key)) {
            errors.add(new FieldError(FieldError.Type.DUPLICATE, path + "[" + i + "]", v.get(i), ""));
          }
        }
      }
    }
    combinators(s, v, path, errors);
  }

  private static void combinators(JsonNode s, JsonNode v, String path, List<FieldError> errors) {
    for (JsonNode sub : s.path("allOf")) {
      errors.addAll(alone(sub, v, path));
    }
    if (s.has("anyOf") && !s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      List<FieldError> first = null;
      boolean any = false;
      for (JsonNode sub : s.get("anyOf")) {
        List<FieldError> e = alone(sub, v, path);
        any |= e.isEmpty();
        first = first == null ? e : first;
      }
      if (!any && first != null) {
        errors.addAll(first);
      }
    }
    if (s.has("oneOf")) {
      int passing = 0;
      for (JsonNode sub : s.get("oneOf")) {
        passing += alone(sub, v, path).isEmpty() ? 1 : 0;
      }
      if (passing != 1) {
        errors.add(FieldError.invalid(path, v, path + " in body must match exactly one schema in oneOf"));
      }
    }
    if (s.has("not") && alone(s.get("not"), v, path).isEmpty()) {
      errors.add(FieldError.invalid(path, v, path + " in body must not match the schema in not"));
    }
  }

  /** A value-validation sub-schema applied on its own; it declares no fields, so nothing is pruned. */
  private static List<FieldError> alone(JsonNode sub, JsonNode v, String path) {
    List<FieldError> e = new ArrayList<>();
    if (sub.has("type") && !typeMatches(sub, v)) {
      e.add(FieldError.invalid(path, v, path + " in body must be of type " + typeName(sub) + ": " + quoted(v)));
      return e;
    }
    values(sub, v, path, e);
    for (JsonNode r : sub.path("required")) {
      if (v.isObject() && !v.has(r.asText())) {
        e.add(FieldError.required(path.isEmpty() ? r.asText() : path + "." + r.asText()));
      }
    }
    if (v.isObject()) {
      for (Map.Entry<String, JsonNode> p : sub.path("properties").properties()) {
        if (v.has(p.getKey())) {
          e.addAll(alone(p.getValue(), v.get(p.getKey()), path + "." + p.getKey()));
        }
      }
    }
    return e;
  }

  private static boolean typeMatches(JsonNode s, JsonNode v) {
    if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return v.isTextual() || isInteger(v);
    }
    return switch (s.path("type").asText("")) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "integer" -> isInteger(v);
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      default -> true;
    };
  }

  private static boolean isInteger(JsonNode v) {
    if (v.isIntegralNumber()) {
      return true;
    }
    return v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0;
  }

  private static boolean equal(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    return a.equals(b);
  }

  private static String typeName(JsonNode s) {
    return s.path("x-kubernetes-int-or-string").asBoolean(false) ? "integer,string" : s.path("type").asText("any");
  }

  private static String quoted(JsonNode v) {
    return v.isTextual() ? FieldError.quote(v.asText()) : v.isContainerNode() ? FieldError.quote(v.getNodeType().name().toLowerCase(java.util.Locale.ROOT)) : v.toString();
  }

  private static String plain(BigDecimal d) {
    return d.stripTrailingZeros().toPlainString();
  }
}
