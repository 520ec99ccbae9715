package io.hexgate.operator.feed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Maps a Pod to the engine's {@link Endpoint}, and says which pods the operator manages. */
public final class PodEndpoints {
  private PodEndpoints() {}

  /**
   * Host-network pods share the node's identity and finished pods hold no address: as in Cilium, neither
   * gets an endpoint.
   */
  public static boolean managed(Pod p) {
    if (p.getSpec() != null && Boolean.TRUE.equals(p.getSpec().getHostNetwork())) {
      return false;
    }
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return !"Succeeded".equals(phase) && !"Failed".equals(phase);
  }

  public static Endpoint.Key key(Pod p) {
    return new Endpoint.Key(p.getMetadata().getNamespace(), p.getMetadata().getName());
  }

  public static Endpoint toEndpoint(Pod p) {
    String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
    Map<String, String> labels = p.getMetadata().getLabels();
    return new Endpoint(
        p.getMetadata().getNamespace(),
        p.getMetadata().getName(),
        ip == null || ip.isEmpty() ? null : ip,
        labels == null ? Map.of() : labels,
        p.getSpec() == null ? null : p.getSpec().getServiceAccountName(),
        p.getSpec() == null ? null : p.getSpec().getNodeName(),
        namedPorts(p),
        PodWorkloads.of(p));
  }

  static List<Endpoint.NamedPort> namedPorts(Pod p) {
    List<Endpoint.NamedPort> out = new ArrayList<>();
    if (p.getSpec() == null || p.getSpec().getContainers() == null) {
      return out;
    }
    for (Container c : p.getSpec().getContainers()) {
      if (c.getPorts() == null) {
        continue;
      }
      for (ContainerPort cp : c.getPorts()) {
        if (cp.getName() != null && cp.getContainerPort() != null) {
          String proto = cp.getProtocol() == null ? "TCP" : cp.getProtocol();
          out.add(
              new Endpoint.NamedPort(cp.getName().toLowerCase(Locale.ROOT), cp.getContainerPort(), Protocol.parse(proto)));
        }
      }
    }
    return out;
  }
}
