package io.hexgate.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CSV's spec and status descriptors of an owned CRD, from its schema: the console shows each described
 * field with its display name, description and widget. Scorecard's olm-spec-descriptors wants one for every
 * top-level spec key of the example, olm-status-descriptors one for its status.
 */
final class Descriptors {
  private Descriptors() {}

  /**
   * A descriptor for every top-level spec key of {@code example}, and, for Hexgate's own APIs, for every
   * top-level spec field of the schema (the console's form then covers them all).
   */
  static ArrayNode spec(Crd crd, JsonNode example) {
    Map<String, JsonNode> fields = new LinkedHashMap<>();
    Map<String, JsonNode> schema = new LinkedHashMap<>();
    crd.properties("spec").forEach(p -> schema.put(p.name(), p.schema()));
    if (crd.group().equals("hexgate.io")) {
      fields.putAll(schema);
    }
    example.path("spec").fieldNames().forEachRemaining(k -> fields.putIfAbsent(k, schema.getOrDefault(k, Yaml.object())));
    ArrayNode out = Yaml.array();
    fields.forEach((name, field) -> out.add(descriptor(name, field, specWidget(name, field))));
    return out;
  }

  /** A descriptor for every top-level status field of the schema. */
  static ArrayNode status(Crd crd) {
    ArrayNode out = Yaml.array();
    for (Crd.Property p : crd.properties("status")) {
      String widget = p.name().equals("conditions") ? "urn:alm:descriptor:io.kubernetes.conditions"
          : p.type().equals("object") || p.type().equals("array") ? null : "urn:alm:descriptor:text";
      out.add(descriptor(p.name(), p.schema(), widget));
    }
    return out;
  }

  private static String specWidget(String name, JsonNode field) {
    if (name.equals("resources")) {
      return "urn:alm:descriptor:com.tectonic.ui:resourceRequirements";
    }
    if (name.equals("tolerations")) {
      return "urn:alm:descriptor:io.kubernetes:Tolerations";
    }
    return switch (field.path("type").asText()) {
      case "boolean" -> "urn:alm:descriptor:com.tectonic.ui:booleanSwitch";
      case "integer", "number" -> "urn:alm:descriptor:com.tectonic.ui:number";
      case "string" -> "urn:alm:descriptor:com.tectonic.ui:text";
      default -> null;
    };
  }

  private static ObjectNode descriptor(String name, JsonNode field, String widget) {
    ObjectNode d = Yaml.object();
    d.put("path", name);
    d.put("displayName", displayName(name));
    String description = field.path("description").asText("");
    d.put("description", description.isBlank() ? displayName(name) : firstSentence(description));
    if (widget != null) {
      d.putArray("x-descriptors").add(widget);
    }
    return d;
  }

  /** {@code enforcingAgents} → {@code Enforcing Agents}. */
  static String displayName(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (i == 0) {
        out.append(Character.toUpperCase(c));
      } else {
        if (Character.isUpperCase(c) && !Character.isUpperCase(field.charAt(i - 1))) {
          out.append(' ');
        }
        out.append(c);
      }
    }
    return out.toString();
  }

  // Cilium's schema descriptions run to paragraphs; the console shows a descriptor's as a tooltip
  private static String firstSentence(String text) {
    String flat = text.strip().replaceAll("\\s+", " ");
    int end = flat.indexOf(". ");
    return end < 0 ? flat : flat.substring(0, end + 1);
  }
}
