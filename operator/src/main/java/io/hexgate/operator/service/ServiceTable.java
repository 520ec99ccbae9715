package io.hexgate.operator.service;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.ServiceBackend;
import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Services and their EndpointSlices, turned into {@link Services}: for each ClusterIP Service (headless
 * ones, {@code clusterIP: None}, and ExternalName ones have no frontend) one frontend per cluster IPv4
 * address and port, with the ready endpoints of the Service's slices as backends. The backend port is
 * the slice's port of the same name and protocol, which is how kube-proxy resolves a (possibly named)
 * targetPort. Thread-safe; listeners hear every new table in order, on the thread that changed it.
 */
public final class ServiceTable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceTable.class);
  /** The label EndpointSlices carry naming their Service. */
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final Map<String, Service> services = new HashMap<>();
  /** namespace/service → slice name → slice. */
  private final Map<String, Map<String, EndpointSlice>> slices = new HashMap<>();
  /** namespace/slice → the namespace/service it belongs to. */
  private final Map<String, String> sliceOwners = new HashMap<>();
  /** namespace/service → its frontends' states. */
  private final Map<String, List<ServiceState>> states = new HashMap<>();
  private final List<Consumer<Services>> listeners = new CopyOnWriteArrayList<>();
  private Services current = Services.EMPTY;

  public void addListener(Consumer<Services> listener) {
    listeners.add(listener);
  }

  public synchronized Services current() {
    return current;
  }

  public void upsertService(Service s) {
    String key = key(s.getMetadata().getNamespace(), s.getMetadata().getName());
    synchronized (this) {
      services.put(key, s);
    }
    refresh(key);
  }

  public void deleteService(String namespace, String name) {
    String key = key(namespace, name);
    synchronized (this) {
      services.remove(key);
    }
    refresh(key);
  }

  public void upsertSlice(EndpointSlice slice) {
    String service = serviceOf(slice);
    String name = slice.getMetadata().getName();
    String previous;
    synchronized (this) {
      previous = sliceOwner(slice.getMetadata().getNamespace(), name);
      if (previous != null && !previous.equals(service)) {
        Map<String, EndpointSlice> old = slices.get(previous);
        old.remove(name);
        if (old.isEmpty()) {
          slices.remove(previous);
        }
      }
      if (service != null) {
        slices.computeIfAbsent(service, k -> new HashMap<>()).put(name, slice);
        sliceOwners.put(key(slice.getMetadata().getNamespace(), name), service);
      } else {
        sliceOwners.remove(key(slice.getMetadata().getNamespace(), name));
      }
    }
    if (previous != null && !previous.equals(service)) {
      refresh(previous);
    }
    if (service != null) {
      refresh(service);
    }
  }

  public void deleteSlice(String namespace, String name) {
    String owner;
    synchronized (this) {
      owner = sliceOwner(namespace, name);
      if (owner != null) {
        sliceOwners.remove(key(namespace, name));
        Map<String, EndpointSlice> of = slices.get(owner);
        of.remove(name);
        if (of.isEmpty()) {
          slices.remove(owner);
        }
      }
    }
    if (owner != null) {
      refresh(owner);
    }
  }

  private String sliceOwner(String namespace, String slice) {
    return sliceOwners.get(key(namespace, slice));
  }

  private static String serviceOf(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
    return service == null ? null : key(slice.getMetadata().getNamespace(), service);
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  /** Recomputes one Service's frontends and, when they changed, publishes a new table. */
  private void refresh(String service) {
    Services next;
    synchronized (this) {
      List<ServiceState> now = frontends(service, services.get(service), slices.getOrDefault(service, Map.of()).values());
      List<ServiceState> before = states.getOrDefault(service, List.of());
      if (now.equals(before)) {
        return;
      }
      if (now.isEmpty()) {
        states.remove(service);
      } else {
        states.put(service, now);
      }
      Map<String, ServiceState> all = new HashMap<>();
      states.values().forEach(list -> list.forEach(s -> all.put(Services.key(s.getFrontend()), s)));
      current = new Services(all);
      next = current;
      // under the lock, so that listeners hear tables in the order they were made
      listeners.forEach(l -> l.accept(next));
    }
  }

  static List<ServiceState> frontends(String name, Service s, Iterable<EndpointSlice> slices) {
    if (s == null || s.getSpec() == null || !hasClusterIp(s)) {
      return List.of();
    }
    List<String> ips = new ArrayList<>();
    List<String> clusterIps = s.getSpec().getClusterIPs();
    if (clusterIps == null || clusterIps.isEmpty()) {
      clusterIps = List.of(s.getSpec().getClusterIP());
    }
    for (String ip : clusterIps) {
      if (ip != null && !ip.isEmpty() && ip.indexOf(':') < 0 && !ip.equals("None")) {
        ips.add(ip); // IPv4 only, as the datapath and the IP cache
      }
    }
    List<ServiceState> out = new ArrayList<>();
    for (ServicePort port : s.getSpec().getPorts() == null ? List.<ServicePort>of() : s.getSpec().getPorts()) {
      Protocol protocol = protocol(port.getProtocol());
      if (protocol == null || port.getPort() == null) {
        LOG.debug("{}: port {} skipped (protocol {})", name, port.getName(), port.getProtocol());
        continue;
      }
      List<ServiceBackend> backends = backends(port, slices);
      for (String ip : ips) {
        out.add(
            ServiceState.newBuilder()
                .setFrontend(ServiceFrontend.newBuilder().setIp(ip).setPort(port.getPort()).setProtocol(protocol))
                .setService(name)
                .setPortName(Objects.toString(port.getName(), ""))
                .addAllBackends(backends)
                .build());
      }
    }
    return List.copyOf(out);
  }

  private static boolean hasClusterIp(Service s) {
    String type = s.getSpec().getType();
    String ip = s.getSpec().getClusterIP();
    return !"ExternalName".equals(type) && ip != null && !ip.isEmpty() && !"None".equals(ip);
  }

  /**
   * The ready endpoints of every IPv4 slice, at the slice's port whose name and protocol are the service
   * port's (an unnamed service port matches an unnamed slice port), sorted and without duplicates.
   */
  private static List<ServiceBackend> backends(ServicePort port, Iterable<EndpointSlice> slices) {
    String name = Objects.toString(port.getName(), "");
    String protocol = port.getProtocol() == null ? "TCP" : port.getProtocol();
    TreeSet<String> seen = new TreeSet<>();
    List<ServiceBackend> out = new ArrayList<>();
    for (EndpointSlice slice : slices) {
      if (slice.getAddressType() != null && !"IPv4".equals(slice.getAddressType())) {
        continue;
      }
      Integer target = null;
      for (EndpointPort p : slice.getPorts() == null ? List.<EndpointPort>of() : slice.getPorts()) {
        String pProtocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
        if (name.equals(Objects.toString(p.getName(), "")) && protocol.equals(pProtocol)) {
          target = p.getPort();
        }
      }
      if (target == null || slice.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : slice.getEndpoints()) {
        // A nil ready condition means unknown, which consumers must read as ready.
        boolean ready = e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady());
        if (!ready || e.getAddresses() == null) {
          continue;
        }
        for (String address : e.getAddresses()) {
          if (seen.add(address + ":" + target)) {
            out.add(ServiceBackend.newBuilder().setIp(address).setPort(target).build());
          }
        }
      }
    }
    out.sort(java.util.Comparator.comparing(ServiceBackend::getIp).thenComparingInt(ServiceBackend::getPort));
    return out;
  }

  private static Protocol protocol(String p) {
    return switch (p == null ? "TCP" : p) {
      case "TCP" -> Protocol.PROTOCOL_TCP;
      case "UDP" -> Protocol.PROTOCOL_UDP;
      case "SCTP" -> Protocol.PROTOCOL_SCTP;
      default -> null;
    };
  }
}
