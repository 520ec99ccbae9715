package io.hexgate.lab.dns;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.informers.cache.Store;
import io.hexgate.contract.net.Ipv4;
import io.hexgate.lab.controllers.EndpointSliceController;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The cluster's DNS records as Kubernetes' DNS specification defines them for Services: the A record of
 * {@code <service>.<namespace>.svc.<zone>} is the ClusterIP, or for a headless Service the addresses of its
 * ready endpoints. Read from the informers' caches, so answers follow the API without a query to it.
 */
public final class ClusterDns {
  /** What a name resolves to: NXDOMAIN, or a name that exists with these IPv4 addresses (maybe none). */
  public record Lookup(boolean exists, List<String> addresses) {
    static final Lookup NO_SUCH_NAME = new Lookup(false, List.of());
  }

  private final String zone;
  private final Store<Service> services;
  private final Store<EndpointSlice> slices;

  public ClusterDns(String zone, Store<Service> services, Store<EndpointSlice> slices) {
    this.zone = zone;
    this.services = services;
    this.slices = slices;
  }

  public String zone() {
    return zone;
  }

  /** Whether the name is in the cluster's zone (the server answers only for it). */
  public boolean inZone(String name) {
    return name.equals(zone) || name.endsWith("." + zone);
  }

  /** {@code name} fully qualified, lower case, without the final dot. */
  public Lookup lookup(String name) {
    if (!inZone(name)) {
      return Lookup.NO_SUCH_NAME;
    }
    String inZone = name.equals(zone) ? "" : name.substring(0, name.length() - zone.length() - 1);
    String[] labels = inZone.isEmpty() ? new String[0] : inZone.split("\\.");
    // the zone itself, svc.<zone> and <namespace>.svc.<zone> exist without addresses
    if (labels.length == 0 || labels.length == 1 && labels[0].equals("svc")) {
      return new Lookup(true, List.of());
    }
    if (labels.length == 2 && labels[1].equals("svc")) {
      boolean any = services.list().stream().anyMatch(s -> s.getMetadata().getNamespace().equals(labels[0]));
      return any ? new Lookup(true, List.of()) : Lookup.NO_SUCH_NAME;
    }
    if (labels.length != 3 || !labels[2].equals("svc")) {
      return Lookup.NO_SUCH_NAME;
    }
    Service svc = services.getByKey(labels[1] + "/" + labels[0]);
    if (svc == null || svc.getSpec() == null) {
      return Lookup.NO_SUCH_NAME;
    }
    String ip = svc.getSpec().getClusterIP();
    if ("None".equals(ip)) {
      return new Lookup(true, readyEndpoints(labels[1], labels[0]));
    }
    if (ip == null || ip.isEmpty()) {
      return new Lookup(true, List.of()); // not allocated yet
    }
    return new Lookup(true, List.of(ip));
  }

  private List<String> readyEndpoints(String namespace, String service) {
    List<String> out = new ArrayList<>();
    for (EndpointSlice s : slices.list()) {
      if (!s.getMetadata().getNamespace().equals(namespace)
          || s.getMetadata().getLabels() == null
          || !service.equals(s.getMetadata().getLabels().get(EndpointSliceController.SERVICE_NAME))
          || s.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : s.getEndpoints()) {
        if (e.getConditions() != null && !Objects.equals(e.getConditions().getReady(), Boolean.FALSE) && e.getAddresses() != null) {
          for (String a : e.getAddresses()) {
            try {
              Ipv4.parse(a);
              out.add(a);
            } catch (IllegalArgumentException notIpv4) {
              // A records hold IPv4 only
            }
          }
        }
      }
    }
    out.sort(null);
    return out;
  }
}
