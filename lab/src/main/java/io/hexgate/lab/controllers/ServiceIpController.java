package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.contract.net.Ipv4;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each Service without a ClusterIP one from the service range, and fills the defaults the API server
 * would have set at creation ({@code type: ClusterIP}, port protocol TCP, target port = port, single-stack
 * IPv4). A Service that asks for an address outside the range, a reserved one it may not have, or one
 * another Service holds keeps it but gets a Warning event, since the lab cannot refuse it afterwards.
 */
public final class ServiceIpController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServiceIpController.class);
  private final KubernetesClient client;
  private final ClusterIpAllocator allocator;
  private final Events events;
  private final ReconcileLoop loop;

  public ServiceIpController(KubernetesClient client, ClusterInformers informers, ClusterIpAllocator allocator, Events events) {
    this.client = client;
    this.allocator = allocator;
    this.events = events;
    this.loop = new ReconcileLoop("clusterip", this::reconcile);
    informers.services.addEventHandler(
        Handlers.onChange(
            (o, n) -> {
              if (n != null) {
                loop.enqueue(Keys.of(n));
              }
            }));
  }

  public boolean idle() {
    return loop.idle();
  }

  void reconcile(String key) {
    Service svc = client.services().inNamespace(Keys.namespace(key)).withName(Keys.name(key)).get();
    if (svc == null || svc.getSpec() == null || "ExternalName".equals(svc.getSpec().getType())) {
      return;
    }
    String ip = svc.getSpec().getClusterIP();
    if ("None".equals(ip)) {
      return;
    }
    List<Service> all = client.services().inAnyNamespace().list().getItems();
    if (ip != null && !ip.isEmpty()) {
      checkRequested(svc, ip, all);
      if (!defaultsMissing(svc)) {
        return;
      }
    }
    Set<Integer> inUse = new HashSet<>();
    for (Service s : all) {
      String other = s.getSpec() == null ? null : s.getSpec().getClusterIP();
      if (other != null && !other.isEmpty() && !"None".equals(other)) {
        try {
          inUse.add(Ipv4.parse(other));
        } catch (IllegalArgumentException e) {
          // reported on that Service; not an address this range can hand out anyway
        }
      }
    }
    String assigned = ip == null || ip.isEmpty() ? Ipv4.format(allocator.allocate(inUse)) : ip;
    client.services().inNamespace(svc.getMetadata().getNamespace()).withName(svc.getMetadata().getName())
        .edit(s -> {
          if (s.getSpec().getClusterIP() == null || s.getSpec().getClusterIP().isEmpty()) {
            s.getSpec().setClusterIP(assigned);
          }
          applyDefaults(s);
          return s;
        });
    log.debug("service {}: clusterIP {}", key, assigned);
  }

  private static boolean defaultsMissing(Service s) {
    if (s.getSpec().getType() == null || s.getSpec().getClusterIPs() == null || s.getSpec().getClusterIPs().isEmpty()) {
      return true;
    }
    for (ServicePort p : s.getSpec().getPorts() == null ? List.<ServicePort>of() : s.getSpec().getPorts()) {
      if (p.getProtocol() == null || p.getTargetPort() == null) {
        return true;
      }
    }
    return false;
  }

  private static void applyDefaults(Service s) {
    if (s.getSpec().getType() == null) {
      s.getSpec().setType("ClusterIP");
    }
    s.getSpec().setClusterIPs(List.of(s.getSpec().getClusterIP()));
    if (s.getSpec().getIpFamilies() == null || s.getSpec().getIpFamilies().isEmpty()) {
      s.getSpec().setIpFamilies(List.of("IPv4"));
    }
    if (s.getSpec().getIpFamilyPolicy() == null) {
      s.getSpec().setIpFamilyPolicy("SingleStack");
    }
    if (s.getSpec().getSessionAffinity() == null) {
      s.getSpec().setSessionAffinity("None");
    }
    if (s.getSpec().getInternalTrafficPolicy() == null) {
      s.getSpec().setInternalTrafficPolicy("Cluster");
    }
    for (ServicePort p : s.getSpec().getPorts() == null ? List.<ServicePort>of() : s.getSpec().getPorts()) {
      if (p.getProtocol() == null) {
        p.setProtocol("TCP");
      }
      if (p.getTargetPort() == null) {
        p.setTargetPort(new IntOrString(p.getPort()));
      }
    }
  }

  private void checkRequested(Service svc, String ip, List<Service> all) {
    int address;
    try {
      address = Ipv4.parse(ip);
    } catch (IllegalArgumentException e) {
      events.warning(svc, "ClusterIPNotValid", "spec.clusterIP: Invalid value: \"" + ip + "\": must be a valid IPv4 address");
      return;
    }
    if (!allocator.range().contains(address)) {
      events.warning(svc, "ClusterIPOutOfRange", "spec.clusterIP: Invalid value: \"" + ip + "\": not in the service range " + allocator.range());
      return;
    }
    for (Service other : all) {
      if (other.getSpec() != null && ip.equals(other.getSpec().getClusterIP())
          && !other.getMetadata().getUid().equals(svc.getMetadata().getUid())) {
        events.warning(svc, "ClusterIPAlreadyAllocated", "spec.clusterIP: Invalid value: \"" + ip + "\": provided IP is already allocated to "
            + Keys.of(other));
        return;
      }
    }
  }

  @Override
  public void close() {
    loop.close();
  }
}
