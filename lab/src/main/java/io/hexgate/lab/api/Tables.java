package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The {@code meta.k8s.io/v1 Table} kubectl asks for with {@code Accept: application/json;as=Table}:
 * a CRD's additionalPrinterColumns evaluated with JSONPath, or the columns the API server prints for the
 * built-in types.
 */
final class Tables {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private record Column(String name, String type, String format, int priority, Function<JsonNode, JsonNode> cell) {}

  private Tables() {}

  static ObjectNode render(ApiResource type, List<ObjectNode> objects, String includeObject, long resourceVersion,
      Instant now) {
    List<Column> columns = type.custom() ? customColumns(type, now) : builtInColumns(type.kind(), now);
    ObjectNode table = F.objectNode();
    table.put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
    table.putObject("metadata").put("resourceVersion", Long.toString(resourceVersion));
    ArrayNode defs = table.putArray("columnDefinitions");
    for (Column c : columns) {
      defs.addObject()
          .put("name", c.name())
          .put("type", c.type())
          .put("format", c.format())
          .put("description", c.name())
          .put("priority", c.priority());
    }
    ArrayNode rows = table.putArray("rows");
    for (ObjectNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      for (Column c : columns) {
        cells.add(c.cell().apply(o));
      }
      if ("Object".equals(includeObject)) {
        row.set("object", o);
      } else if (!"None".equals(includeObject)) {
        ObjectNode partial = row.putObject("object");
        partial.put("kind", "PartialObjectMetadata").put("apiVersion", "meta.k8s.io/v1");
        partial.set("metadata", o.path("metadata").deepCopy());
      }
    }
    return table;
  }

  private static Column name() {
    return new Column("Name", "string", "name", 0, o -> text(o.path("metadata").path("name").asText()));
  }

  private static Column age(Instant now) {
    return new Column("Age", "string", "", 0, o -> age(o.path("metadata").path("creationTimestamp"), now));
  }

  private static JsonNode age(JsonNode timestamp, Instant now) {
    return timestamp.isTextual() ? text(HumanDuration.since(timestamp.asText(), now)) : text("<unknown>");
  }

  private static List<Column> customColumns(ApiResource type, Instant now) {
    List<Column> out = new ArrayList<>();
    out.add(name());
    if (type.printerColumns() == null || type.printerColumns().isEmpty()) {
      out.add(age(now));
      return out;
    }
    for (JsonNode c : type.printerColumns()) {
      JsonPathExpr path = JsonPathExpr.parse(c.path("jsonPath").asText());
      String colType = c.path("type").asText("string");
      out.add(new Column(c.path("name").asText(), colType, c.path("format").asText(""), c.path("priority").asInt(0),
          o -> {
            List<JsonNode> found = path.find(o);
            if (found.isEmpty() || found.get(0).isNull()) {
              return F.nullNode();
            }
            JsonNode v = found.get(0);
            return switch (colType) {
              case "date" -> age(v, now);
              case "integer", "number", "boolean" -> v.isValueNode() ? v : text(v.toString());
              default -> text(v.isValueNode() ? v.asText() : v.toString());
            };
          }));
    }
    return out;
  }

  private static List<Column> builtInColumns(String kind, Instant now) {
    List<Column> c = new ArrayList<>();
    switch (kind) {
      case "Pod" -> {
        c.add(name());
        c.add(col("Ready", o -> {
          JsonNode statuses = o.path("status").path("containerStatuses");
          long ready = 0;
          for (JsonNode s : statuses) {
            ready += s.path("ready").asBoolean() ? 1 : 0;
          }
          return ready + "/" + o.path("spec").path("containers").size();
        }));
        c.add(col("Status", Tables::podStatus));
        c.add(new Column("Restarts", "string", "", 0, o -> {
          long restarts = 0;
          for (JsonNode s : o.path("status").path("containerStatuses")) {
            restarts += s.path("restartCount").asLong();
          }
          return text(Long.toString(restarts));
        }));
        c.add(age(now));
        c.add(wide("IP", o -> orNone(o.path("status").path("podIP").asText(""))));
        c.add(wide("Node", o -> orNone(o.path("spec").path("nodeName").asText(""))));
        c.add(wide("Nominated Node", o -> orNone(o.path("status").path("nominatedNodeName").asText(""))));
        c.add(wide("Readiness Gates", o -> "<none>"));
      }
      case "Service" -> {
        c.add(name());
        c.add(col("Type", o -> o.path("spec").path("type").asText("ClusterIP")));
        c.add(col("Cluster-IP", o -> orNone(o.path("spec").path("clusterIP").asText(""))));
        c.add(col("External-IP", o -> {
          List<String> ips = new ArrayList<>();
          o.path("spec").path("externalIPs").forEach(i -> ips.add(i.asText()));
          o.path("status").path("loadBalancer").path("ingress").forEach(i -> ips.add(i.path("ip").asText()));
          return ips.isEmpty() ? "<none>" : String.join(",", ips);
        }));
        c.add(col("Port(s)", o -> {
          List<String> ports = new ArrayList<>();
          for (JsonNode p : o.path("spec").path("ports")) {
            String node = p.has("nodePort") ? ":" + p.get("nodePort").asText() : "";
            ports.add(p.path("port").asText() + node + "/" + p.path("protocol").asText("TCP"));
          }
          return ports.isEmpty() ? "<none>" : String.join(",", ports);
        }));
        c.add(age(now));
        c.add(wide("Selector", o -> selector(o.path("spec").path("selector"))));
      }
      case "Deployment" -> {
        c.add(name());
        c.add(col("Ready", o -> o.path("status").path("readyReplicas").asLong(0) + "/" + o.path("spec").path("replicas").asLong(1)));
        c.add(integer("Up-to-date", o -> o.path("status").path("updatedReplicas").asLong(0)));
        c.add(integer("Available", o -> o.path("status").path("availableReplicas").asLong(0)));
        c.add(age(now));
        c.add(wide("Containers", o -> containers(o, "name")));
        c.add(wide("Images", o -> containers(o, "image")));
        c.add(wide("Selector", o -> selector(o.path("spec").path("selector").path("matchLabels"))));
      }
      case "ReplicaSet" -> {
        c.add(name());
        c.add(integer("Desired", o -> o.path("spec").path("replicas").asLong(1)));
        c.add(integer("Current", o -> o.path("status").path("replicas").asLong(0)));
        c.add(integer("Ready", o -> o.path("status").path("readyReplicas").asLong(0)));
        c.add(age(now));
      }
      case "Namespace" -> {
        c.add(name());
        c.add(col("Status", o -> o.path("status").path("phase").asText("Active")));
        c.add(age(now));
      }
      case "Event" -> {
        c.add(new Column("Last Seen", "string", "", 0, o -> age(
            o.path("lastTimestamp").isTextual() ? o.path("lastTimestamp") : o.path("metadata").path("creationTimestamp"), now)));
        c.add(col("Type", o -> o.path("type").asText("")));
        c.add(col("Reason", o -> o.path("reason").asText("")));
        c.add(col("Object", o -> o.path("involvedObject").path("kind").asText("").toLowerCase(java.util.Locale.ROOT)
            + "/" + o.path("involvedObject").path("name").asText("")));
        c.add(col("Message", o -> o.path("message").asText("")));
      }
      case "Endpoints" -> {
        c.add(name());
        c.add(col("Endpoints", o -> {
          List<String> eps = new ArrayList<>();
          for (JsonNode s : o.path("subsets")) {
            for (JsonNode a : s.path("addresses")) {
              for (JsonNode p : s.path("ports")) {
                eps.add(a.path("ip").asText() + ":" + p.path("port").asText());
              }
            }
          }
          return eps.isEmpty() ? "<none>" : String.join(",", eps);
        }));
        c.add(age(now));
      }
      case "EndpointSlice" -> {
        c.add(name());
        c.add(col("AddressType", o -> o.path("addressType").asText("")));
        c.add(col("Ports", o -> {
          List<String> ports = new ArrayList<>();
          o.path("ports").forEach(p -> ports.add(p.path("port").asText()));
          return ports.isEmpty() ? "<unset>" : String.join(",", ports);
        }));
        c.add(col("Endpoints", o -> {
          List<String> ips = new ArrayList<>();
          o.path("endpoints").forEach(e -> e.path("addresses").forEach(a -> ips.add(a.asText())));
          return ips.isEmpty() ? "<unset>" : String.join(",", ips);
        }));
        c.add(age(now));
      }
      case "NetworkPolicy" -> {
        c.add(name());
        c.add(col("Pod-Selector", o -> {
          String s = selector(o.path("spec").path("podSelector").path("matchLabels"));
          return s.equals("<none>") ? "<none>" : s;
        }));
        c.add(age(now));
      }
      case "ConfigMap" -> {
        c.add(name());
        c.add(integer("Data", o -> (long) o.path("data").size() + o.path("binaryData").size()));
        c.add(age(now));
      }
      case "Secret" -> {
        c.add(name());
        c.add(col("Type", o -> o.path("type").asText("Opaque")));
        c.add(integer("Data", o -> (long) o.path("data").size()));
        c.add(age(now));
      }
      case "ServiceAccount" -> {
        c.add(name());
        c.add(integer("Secrets", o -> (long) o.path("secrets").size()));
        c.add(age(now));
      }
      case "Lease" -> {
        c.add(name());
        c.add(col("Holder", o -> o.path("spec").path("holderIdentity").asText("")));
        c.add(age(now));
      }
      case "Node" -> {
        c.add(name());
        c.add(col("Status", o -> {
          for (JsonNode cond : o.path("status").path("conditions")) {
            if (cond.path("type").asText().equals("Ready")) {
              return cond.path("status").asText().equals("True") ? "Ready" : "NotReady";
            }
          }
          return "Unknown";
        }));
        c.add(col("Roles", o -> "<none>"));
        c.add(age(now));
        c.add(col("Version", o -> o.path("status").path("nodeInfo").path("kubeletVersion").asText("")));
      }
      case "CustomResourceDefinition" -> {
        c.add(name());
        c.add(new Column("Created At", "date", "", 0, o -> o.path("metadata").path("creationTimestamp")));
      }
      default -> {
        c.add(name());
        c.add(age(now));
      }
    }
    return c;
  }

  private static String podStatus(JsonNode o) {
    if (o.path("metadata").has("deletionTimestamp")) {
      return "Terminating";
    }
    String reason = o.path("status").path("reason").asText("");
    for (JsonNode s : o.path("status").path("containerStatuses")) {
      JsonNode waiting = s.path("state").path("waiting");
      if (waiting.has("reason")) {
        reason = waiting.get("reason").asText();
      }
    }
    return reason.isEmpty() ? o.path("status").path("phase").asText("Pending") : reason;
  }

  private static String containers(JsonNode deployment, String field) {
    List<String> out = new ArrayList<>();
    deployment.path("spec").path("template").path("spec").path("containers").forEach(c -> out.add(c.path(field).asText()));
    return String.join(",", out);
  }

  private static String selector(JsonNode labels) {
    if (labels.isMissingNode() || labels.isEmpty()) {
      return "<none>";
    }
    Map<String, String> sorted = new TreeMap<>();
    labels.properties().forEach(e -> sorted.put(e.getKey(), e.getValue().asText()));
    List<String> out = new ArrayList<>();
    sorted.forEach((k, v) -> out.add(k + "=" + v));
    return String.join(",", out);
  }

  private static String orNone(String s) {
    return s.isEmpty() ? "<none>" : s;
  }

  private static Column col(String name, Function<JsonNode, String> f) {
    return new Column(name, "string", "", 0, o -> text(f.apply(o)));
  }

  private static Column wide(String name, Function<JsonNode, String> f) {
    return new Column(name, "string", "", 1, o -> text(f.apply(o)));
  }

  private static Column integer(String name, Function<JsonNode, Long> f) {
    return new Column(name, "integer", "", 0, o -> F.numberNode(f.apply(o)));
  }

  private static JsonNode text(String s) {
    return F.textNode(s);
  }
}
