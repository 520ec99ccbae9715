package io.hexgate.operator.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Iterator;
import java.util.Map;

/**
 * The smallest JSON Patch (RFC 6902) turning one status into another: one operation per member that was
 * added, removed or changed (objects compared member by member, lists and scalars replaced whole), so a
 * write carries one node's entry or one counter, not the whole status. JSON Patch rather than a merge
 * patch because its meaning does not depend on how the server merges lists.
 */
final class StatusPatch {
  private StatusPatch() {}

  /**
   * Operations turning {@code from} into {@code to} under {@code path} ("/status"), preceded by a
   * resourceVersion precondition: the API server refuses the patch with 409 when the object moved on.
   * Members whose value is null count as absent. Empty (no operation at all) when nothing differs.
   */
  static ArrayNode of(String resourceVersion, String path, JsonNode from, JsonNode to) {
    ArrayNode ops = JsonNodeFactory.instance.arrayNode();
    if (from == null || !from.isObject()) {
      ops.add(op("add", path).set("value", to));
    } else {
      diff(path, from, to, ops);
    }
    if (!ops.isEmpty() && resourceVersion != null) {
      ops.insert(0, op("replace", "/metadata/resourceVersion").put("value", resourceVersion));
    }
    return ops;
  }

  private static void diff(String path, JsonNode from, JsonNode to, ArrayNode ops) {
    for (Iterator<Map.Entry<String, JsonNode>> it = to.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode before = from.get(e.getKey());
      JsonNode after = e.getValue();
      String at = path + "/" + escape(e.getKey());
      if (after.isNull()) {
        continue;
      }
      if (before == null || before.isNull()) {
        ops.add(op("add", at).set("value", after));
      } else if (before.isObject() && after.isObject()) {
        diff(at, before, after, ops);
      } else if (!before.equals(after)) {
        ops.add(op("replace", at).set("value", after));
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = from.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode after = to.get(e.getKey());
      if (!e.getValue().isNull() && (after == null || after.isNull())) {
        ops.add(op("remove", path + "/" + escape(e.getKey())));
      }
    }
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode op(String op, String path) {
    return JsonNodeFactory.instance.objectNode().put("op", op).put("path", path);
  }

  /** RFC 6901: "~" and "/" in a member name. */
  private static String escape(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }
}
