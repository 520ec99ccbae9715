package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hexgate.contract.net.Ipv4;
import java.util.HashSet;
import java.util.Set;

/**
 * What the API server itself sets on built-in objects: defaults kubectl shows and controllers rely on,
 * a Pending phase for new pods, and a ClusterIP from the service range for new Services.
 */
final class Defaults implements AdmissionHook {
  private final int rangeBase;
  private final int rangeSize;
  private final Set<Integer> used = new HashSet<>();

  /** @param serviceCidr the IPv4 range ClusterIPs come from, e.g. 10.96.0.0/16 */
  Defaults(String serviceCidr) {
    String[] parts = serviceCidr.split("/");
    Integer base = parts.length == 2 ? ipv4(parts[0]) : null;
    int prefix = parts.length == 2 && parts[1].matches("\\d{1,2}") ? Integer.parseInt(parts[1]) : -1;
    if (base == null || prefix < 8 || prefix > 30) {
      throw new IllegalArgumentException("service CIDR must be IPv4 with a prefix of /8 to /30: " + serviceCidr);
    }
    this.rangeBase = base & (-1 << (32 - prefix));
    this.rangeSize = 1 << (32 - prefix);
  }

  @Override
  public void admit(String operation, ApiResource type, ObjectNode o, ObjectNode old) {
    if (!type.group().isEmpty() && !type.group().equals("apps")) {
      return;
    }
    switch (type.kind()) {
      case "Secret" -> {
        if (!o.has("type") || o.get("type").asText().isEmpty()) {
          o.put("type", "Opaque");
        }
      }
      case "Pod" -> pod(o, old);
      case "Service" -> service(o, old);
      case "Deployment", "ReplicaSet" -> {
        ObjectNode spec = o.withObjectProperty("spec");
        if (!spec.has("replicas")) {
          spec.put("replicas", 1);
        }
        if (type.kind().equals("Deployment") && !spec.has("revisionHistoryLimit")) {
          spec.put("revisionHistoryLimit", 10);
        }
        podSpec(spec.withObjectProperty("template").withObjectProperty("spec"));
      }
      case "Namespace" -> {
        // as the API server does since Kubernetes 1.22, so that selectors can pick namespaces by name
        o.withObjectProperty("metadata").withObjectProperty("labels").put("kubernetes.io/metadata.name", o.path("metadata").path("name").asText());
        if (old == null) {
          o.withObjectProperty("status").put("phase", "Active");
        }
      }
      default -> {}
    }
  }

  private static void pod(ObjectNode o, ObjectNode old) {
    podSpec(o.withObjectProperty("spec"));
    if (old == null) {
      ObjectNode status = o.withObjectProperty("status");
      status.put("phase", "Pending");
      status.put("qosClass", "BestEffort");
    }
  }

  private static void podSpec(ObjectNode spec) {
    if (!spec.has("restartPolicy")) {
      spec.put("restartPolicy", "Always");
    }
    if (!spec.has("dnsPolicy")) {
      spec.put("dnsPolicy", "ClusterFirst");
    }
    if (!spec.has("serviceAccountName")) {
      spec.put("serviceAccountName", "default");
    }
    if (!spec.has("terminationGracePeriodSeconds")) {
      spec.put("terminationGracePeriodSeconds", 30);
    }
    for (JsonNode c : spec.path("containers")) {
      for (JsonNode p : c.path("ports")) {
        if (!p.has("protocol")) {
          ((ObjectNode) p).put("protocol", "TCP");
        }
      }
    }
  }

  private void service(ObjectNode o, ObjectNode old) {
    ObjectNode spec = o.withObjectProperty("spec");
    if (!spec.has("type")) {
      spec.put("type", "ClusterIP");
    }
    if (!spec.has("sessionAffinity")) {
      spec.put("sessionAffinity", "None");
    }
    for (JsonNode p : spec.path("ports")) {
      ObjectNode port = (ObjectNode) p;
      if (!port.has("protocol")) {
        port.put("protocol", "TCP");
      }
      if (!port.has("targetPort") && port.has("port")) {
        port.set("targetPort", port.get("port"));
      }
    }
    if (spec.path("type").asText().equals("ExternalName")) {
      return;
    }
    String kept = old == null ? "" : old.path("spec").path("clusterIP").asText("");
    if (!kept.isEmpty() && !spec.has("clusterIP")) {
      spec.put("clusterIP", kept);
    }
    if (!spec.has("clusterIP") || spec.get("clusterIP").asText().isEmpty()) {
      spec.put("clusterIP", allocate());
    } else if (old == null && !spec.get("clusterIP").asText().equals("None")) {
      claim(spec.get("clusterIP").asText());
    }
    if (!spec.has("clusterIPs")) {
      spec.putArray("clusterIPs").add(spec.get("clusterIP").asText());
    }
    if (!spec.has("ipFamilies")) {
      spec.putArray("ipFamilies").add("IPv4");
    }
    if (!spec.has("ipFamilyPolicy")) {
      spec.put("ipFamilyPolicy", "SingleStack");
    }
  }

  /** Takes a ClusterIP; the first address of the range is the {@code kubernetes} Service's, as in a cluster. */
  private synchronized String allocate() {
    for (int i = 2; i < rangeSize - 1; i++) {
      if (used.add(i)) {
        int ip = rangeBase + i;
        return Ipv4.format(ip);
      }
    }
    throw new ApiException(500, "InternalError", "the service ClusterIP range is full", null);
  }

  private synchronized void claim(String ip) {
    Integer v = ipv4(ip);
    if (v == null) {
      throw ApiException.badRequest("spec.clusterIP: Invalid value: \"" + ip + "\": must be a valid IP address");
    }
    int offset = v - rangeBase;
    if (offset < 0 || offset >= rangeSize) {
      throw ApiException.badRequest("spec.clusterIP: Invalid value: \"" + ip + "\": provided IP is not in the valid range");
    }
    if (!used.add(offset)) {
      throw ApiException.badRequest("spec.clusterIP: Invalid value: \"" + ip + "\": provided IP is already allocated");
    }
  }

  /** Gives a deleted Service's ClusterIP back to the range. */
  synchronized void release(JsonNode service) {
    String ip = service.path("spec").path("clusterIP").asText("");
    if (ip.isEmpty() || ip.equals("None")) {
      return;
    }
    Integer v = ipv4(ip);
    if (v != null) {
      used.remove(v - rangeBase);
    }
  }

  /** A dotted-quad IPv4 address as an int, or null (no name lookups: the text comes from users). */
  static Integer ipv4(String s) {
    try {
      return Ipv4.parse(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
