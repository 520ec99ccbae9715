package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;
import io.fabric8.zjsonpatch.JsonPatchException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The patch types the API server accepts: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and, for
 * built-in types, strategic merge patch, whose lists with a merge key (containers by name, ports by
 * port number...) merge element by element instead of being replaced.
 */
final class Patches {
  static final String JSON_PATCH = "application/json-patch+json";
  static final String MERGE_PATCH = "application/merge-patch+json";
  static final String STRATEGIC = "application/strategic-merge-patch+json";
  static final String APPLY = "application/apply-patch+yaml";

  /** Merge keys of the built-in lists kubectl and controllers patch, by field name. */
  private static final Map<String, String> MERGE_KEYS =
      Map.ofEntries(
          Map.entry("containers", "name"),
          Map.entry("initContainers", "name"),
          Map.entry("ephemeralContainers", "name"),
          Map.entry("env", "name"),
          Map.entry("volumes", "name"),
          Map.entry("volumeMounts", "mountPath"),
          Map.entry("volumeDevices", "devicePath"),
          Map.entry("imagePullSecrets", "name"),
          Map.entry("hostAliases", "ip"),
          Map.entry("ownerReferences", "uid"),
          Map.entry("conditions", "type"),
          Map.entry("topologySpreadConstraints", "topologyKey"),
          Map.entry("resourceClaims", "name"),
          Map.entry("containerStatuses", "name"),
          Map.entry("podIPs", "ip"),
          Map.entry("hostIPs", "ip"),
          Map.entry("readinessGates", "conditionType"));

  /** Primitive lists merged as sets rather than replaced. */
  private static final List<String> MERGED_PRIMITIVES = List.of("finalizers");

  private Patches() {}

  static JsonNode jsonPatch(JsonNode patch, JsonNode target) {
    try {
      return JsonPatch.apply(patch, target);
    } catch (JsonPatchException | IllegalArgumentException e) {
      throw new ApiException(422, "Invalid", "the server rejected our request due to an error in our request: "
          + e.getMessage(), null);
    }
  }

  /** RFC 7386: objects merge, null deletes, anything else replaces. */
  static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode out = target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> f : patch.properties()) {
      if (f.getValue().isNull()) {
        out.remove(f.getKey());
      } else {
        out.set(f.getKey(), mergePatch(out.get(f.getKey()), f.getValue()));
      }
    }
    return out;
  }

  /** Kubernetes' strategic merge patch for built-in types, with its {@code $patch} and {@code $retainKeys} directives. */
  static JsonNode strategic(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    String directive = patch.path("$patch").asText("");
    if (directive.equals("replace")) {
      ObjectNode copy = ((ObjectNode) patch).deepCopy();
      copy.remove("$patch");
      return copy;
    }
    if (directive.equals("delete")) {
      return null;
    }
    ObjectNode out = target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> f : patch.properties()) {
      String key = f.getKey();
      JsonNode value = f.getValue();
      if (key.equals("$patch") || key.startsWith("$setElementOrder/")) {
        continue;
      }
      if (key.equals("$retainKeys")) {
        List<String> keep = new ArrayList<>();
        value.forEach(k -> keep.add(k.asText()));
        out.retain(keep);
        continue;
      }
      if (key.startsWith("$deleteFromPrimitiveList/")) {
        String field = key.substring("$deleteFromPrimitiveList/".length());
        if (out.get(field) instanceof ArrayNode list) {
          ArrayNode kept = list.arrayNode();
          for (JsonNode e : list) {
            if (!contains(value, e)) {
              kept.add(e);
            }
          }
          out.set(field, kept);
        }
        continue;
      }
      if (value.isNull()) {
        out.remove(key);
      } else if (value.isArray()) {
        out.set(key, strategicList(key, out.get(key), (ArrayNode) value));
      } else if (value.isObject()) {
        JsonNode merged = strategic(out.get(key), value);
        if (merged == null) {
          out.remove(key);
        } else {
          out.set(key, merged);
        }
      } else {
        out.set(key, value.deepCopy());
      }
    }
    if (patch.has("$retainKeys")) {
      List<String> keep = new ArrayList<>();
      patch.get("$retainKeys").forEach(k -> keep.add(k.asText()));
      out.retain(keep);
    }
    return out;
  }

  private static JsonNode strategicList(String field, JsonNode current, ArrayNode patch) {
    for (JsonNode e : patch) {
      if (e.isObject() && e.path("$patch").asText("").equals("replace")) {
        ArrayNode out = patch.arrayNode();
        patch.forEach(x -> {
          if (!(x.isObject() && x.has("$patch"))) {
            out.add(x.deepCopy());
          }
        });
        return out;
      }
    }
    if (!(current instanceof ArrayNode existing)) {
      ArrayNode out = patch.arrayNode();
      patch.forEach(x -> {
        if (!(x.isObject() && x.has("$patch"))) {
          out.add(x.deepCopy());
        }
      });
      return out;
    }
    if (MERGED_PRIMITIVES.contains(field)) {
      ArrayNode out = existing.deepCopy();
      patch.forEach(x -> {
        if (!contains(out, x)) {
          out.add(x.deepCopy());
        }
      });
      return out;
    }
    String mergeKey = mergeKey(field, patch, existing);
    if (mergeKey == null) {
      return patch.deepCopy();
    }
    ArrayNode out = existing.deepCopy();
    for (JsonNode p : patch) {
      if (!p.isObject() || !p.has(mergeKey)) {
        continue;
      }
      int at = -1;
      for (int i = 0; i < out.size(); i++) {
        if (out.get(i).path(mergeKey).equals(p.get(mergeKey))) {
          at = i;
          break;
        }
      }
      if (p.path("$patch").asText("").equals("delete")) {
        if (at >= 0) {
          out.remove(at);
        }
      } else if (at >= 0) {
        out.set(at, strategic(out.get(at), p));
      } else {
        out.add(strategic(null, p));
      }
    }
    return out;
  }

  /** {@code ports} is keyed by containerPort in containers and by port in Services. */
  private static String mergeKey(String field, ArrayNode patch, ArrayNode existing) {
    if (field.equals("ports")) {
      JsonNode sample = patch.size() > 0 ? patch.get(0) : existing.size() > 0 ? existing.get(0) : null;
      if (sample == null) {
        return null;
      }
      return sample.has("containerPort") ? "containerPort" : sample.has("port") ? "port" : null;
    }
    return MERGE_KEYS.get(field);
  }

  private static boolean contains(JsonNode array, JsonNode v) {
    for (JsonNode e : array) {
      if (e.equals(v)) {
        return true;
      }
    }
    return false;
  }
}
