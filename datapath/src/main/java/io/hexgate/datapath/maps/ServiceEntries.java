package io.hexgate.datapath.maps;

import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.ServiceBackend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.abi.BackendKey;
import io.hexgate.datapath.abi.BackendValue;
import io.hexgate.datapath.abi.ServiceKey;
import io.hexgate.datapath.abi.ServiceValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The load balancer's maps for one desired state: hg_services (frontend → backend count and service id),
 * hg_backends (service id and slot → backend) and each service id's name. A frontend keeps its service id
 * across revisions; backends are deduplicated and ordered, so slots do not depend on the operator's order.
 * Only IPv4 TCP and UDP frontends are translated.
 */
record ServiceEntries(Map<ServiceKey, ServiceValue> services, Map<BackendKey, BackendValue> backends, Map<Integer, String> names) {
  static ServiceEntries build(AgentState state, MapContents previous) {
    Map<ServiceKey, ServiceValue> services = new HashMap<>();
    Map<BackendKey, BackendValue> backends = new HashMap<>();
    Map<Integer, String> serviceNames = new HashMap<>();
    Map<ServiceKey, Integer> previousIds = new HashMap<>();
    previous.services().forEach((k, v) -> previousIds.put(k, v.serviceId()));
    List<ServiceState> sorted = new ArrayList<>(state.services().values());
    sorted.sort(Comparator.comparing((ServiceState s) -> s.getFrontend().getIp())
        .thenComparingInt(s -> s.getFrontend().getPort())
        .thenComparingInt(s -> s.getFrontend().getProtocolValue()));
    Map<ServiceState, ServiceKey> keys = new LinkedHashMap<>();
    Set<Integer> used = new HashSet<>();
    for (ServiceState s : sorted) {
      String where = "service " + s.getService() + " frontend " + s.getFrontend().getIp() + ":"
          + s.getFrontend().getPort();
      Protocol proto = s.getFrontend().getProtocol();
      if (Ipv4.isIpv6(s.getFrontend().getIp())) {
        continue; // the datapath is IPv4 only
      }
      if (proto != Protocol.PROTOCOL_TCP && proto != Protocol.PROTOCOL_UDP) {
        continue; // only TCP and UDP frontends are translated (SCTP would need a CRC32c rewrite)
      }
      if (s.getFrontend().getPort() > 65535) {
        throw new IllegalArgumentException(where + ": port is not within 0-65535");
      }
      ServiceKey key;
      try {
        key = new ServiceKey(Ipv4.parse(s.getFrontend().getIp()), s.getFrontend().getPort(), proto.getNumber());
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(where + ": ip: " + ex.getMessage(), ex);
      }
      keys.put(s, key);
      Integer id = previousIds.get(key);
      if (id != null) {
        used.add(id);
      }
    }
    int candidate = 1;
    for (Map.Entry<ServiceState, ServiceKey> e : keys.entrySet()) {
      ServiceState s = e.getKey();
      Integer id = previousIds.get(e.getValue());
      if (id == null) {
        while (used.contains(candidate)) {
          candidate++;
        }
        id = candidate;
        used.add(id);
      }
      List<BackendValue> bs = new ArrayList<>();
      for (ServiceBackend b : s.getBackendsList()) {
        String where = "service " + s.getService() + " backend " + b.getIp() + ":" + b.getPort();
        if (Ipv4.isIpv6(b.getIp())) {
          continue;
        }
        if (b.getPort() == 0 || b.getPort() > 65535) {
          throw new IllegalArgumentException(where + ": port is not within 1-65535");
        }
        try {
          bs.add(new BackendValue(Ipv4.parse(b.getIp()), b.getPort()));
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException(where + ": ip: " + ex.getMessage(), ex);
        }
      }
      bs = bs.stream().distinct()
          .sorted(Comparator.comparingInt((BackendValue b) -> b.addr()).thenComparingInt(BackendValue::port)).toList();
      for (int slot = 0; slot < bs.size(); slot++) {
        backends.put(new BackendKey(id, slot), bs.get(slot));
      }
      services.put(e.getValue(), new ServiceValue(bs.size(), id));
      serviceNames.put(id, s.getService() + (s.getPortName().isEmpty() ? "" : ":" + s.getPortName()));
    }
    return new ServiceEntries(services, backends, serviceNames);
  }
}
